import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { IgnoresUnknownFields } from '../common/app-validation.pipe.js';

@IgnoresUnknownFields()
export class ListJobsQueryDto {
  /**
   * Only jobs in this status.
   * @example "FINISHED"
   */
  @IsOptional()
  @IsIn(['QUEUED', 'RUNNING', 'FINISHED', 'FAILED'], {
    message: 'status must be one of QUEUED, RUNNING, FINISHED, FAILED',
  })
  status?: 'QUEUED' | 'RUNNING' | 'FINISHED' | 'FAILED';

  /**
   * How many jobs, the newest ones (default 100).
   * @example 100
   */
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number from 1 to 1000' })
  @Min(1, { message: 'limit must be a whole number from 1 to 1000' })
  @Max(1000, { message: 'limit must be a whole number from 1 to 1000' })
  limit?: number;

  /**
   * How many of the newest jobs to skip first (default 0).
   * @example 0
   */
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'offset must be a whole number, 0 or more' })
  @Min(0, { message: 'offset must be a whole number, 0 or more' })
  offset?: number;
}
