import { IsDateString, IsNotEmpty, IsNumber, IsOptional, IsPositive, IsString, MaxLength } from 'class-validator';

export class CreateEventDto {
  /** @example "Plenary session, 10 October 2018" */
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  title: string;

  /**
   * The recording's media: an HLS (.m3u8) or DASH (.mpd) manifest or an MP4, over http(s) from
   * ALLOWED_SOURCE_HOSTS, or a file path under MEDIA_ROOT.
   * @example "plenary/2018-10-10.mp4"
   */
  @IsString()
  @IsNotEmpty()
  @MaxLength(2000)
  sourceUrl: string;

  /**
   * Wall-clock instant of media time 0 (ISO 8601). Instants are placed by the media's own clock
   * when its manifest has one (HLS program date-time, DASH availabilityStartTime), else by this.
   * @example "2018-10-10T14:00:00.000Z"
   */
  @IsOptional()
  @IsDateString({ strict: true })
  startTime?: string | null;

  /**
   * Length of the recording in seconds.
   * @example 7200
   */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsPositive()
  duration?: number | null;
}
