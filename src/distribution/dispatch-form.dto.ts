import { IsNotEmpty, IsNumberString, IsString } from 'class-validator';
import { IgnoresUnknownFields } from '../common/app-validation.pipe.js';

/** What Opencast's job dispatcher posts to a job producer's `/dispatch`. */
@IgnoresUnknownFields()
export class DispatchFormDto {
  /**
   * The id of the job in the Opencast service registry.
   * @example "4711"
   */
  @IsNumberString({ no_symbols: true }, { message: 'id must be the numeric id of a registry job' })
  id: string;

  /**
   * The job's operation.
   * @example "Distribute"
   */
  @IsString({ message: 'operation must be one form field' })
  @IsNotEmpty({ message: 'operation is required' })
  operation: string;
}
