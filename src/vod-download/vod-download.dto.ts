import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsOptional,
  IsString,
  IsInt,
  IsUUID,
  IsUrl,
  Max,
  Min,
  MinLength,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import type { CutMethodName, VodDownloadStatus } from './vod-download.entity.js';

export class DownloadClipDto {
  /**
   * A registered event (see POST /event).
   * @example "98f70502-d120-4ee6-991e-7dd67eefe699"
   */
  @IsUUID('all', { message: 'eventId must be the UUID of a registered event' })
  eventId: string;

  /**
   * An ISO 8601 instant, or an elapsed time HH:MM:SS[.fff] for recordings without timestamps; null with end null for the whole event.
   * @example "2018-10-10T14:30:31.081Z"
   */
  @IsOptional()
  @IsString()
  @MaxLength(40)
  start?: string | null;

  /**
   * Same form as start.
   * @example "2018-10-10T16:30:20.361Z"
   */
  @IsOptional()
  @IsString()
  @MaxLength(40)
  end?: string | null;

  /**
   * A Unified Streaming track-selection expression; empty selects the best video and every audio track.
   * @example "(type==\"audio\"&&systemLanguage==\"eng\")||(type==\"video\"&&DisplayWidth==1024&&DisplayHeight==576)"
   */
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  filter?: string | null;

  /**
   * True on at most one clip: the download belongs to that clip's event and is named after its title.
   * @example false
   */
  @IsOptional()
  @IsBoolean()
  isMasterClip?: boolean;
}

export class CreateVodDownloadDto {
  /** @example "email-address@domain.com" */
  @IsEmail({}, { message: 'emailAddress must be a valid e-mail address' })
  @MaxLength(320)
  emailAddress: string;

  /**
   * Your id for the download; generated (a UUID) when absent. Any 1 to 256 characters but control
   * characters; percent-encode it in a query.
   * @example "64d45042-1f5b-4d02-a0b8-f1643e38a873"
   */
  @IsOptional()
  @IsString()
  // Code points, not UTF-16 units; a lone surrogate has no UTF-8 and so no folder name.
  @Matches(/^[^\p{Cc}\p{Cs}]{1,256}$/u, {
    message: 'contentId must be 1 to 256 characters, none of them a control character',
  })
  contentId?: string | null;

  /**
   * Cut on the exact frame (slower) instead of the keyframe at or before the start.
   * @example false
   */
  @IsOptional()
  @IsBoolean()
  frameAccurate?: boolean | null;

  /**
   * Language of the e-mail; null or unknown languages get DEFAULT_EMAIL_LANGUAGE.
   * @example "en"
   */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/, {
    message: 'emailLanguage must be a language code such as "en" or "fr-BE"',
  })
  emailLanguage?: string | null;

  /**
   * Name of the MP4 file; made safe and given the .mp4 extension.
   * @example "my-mp4-name.mp4"
   */
  @IsOptional()
  @IsString()
  @MaxLength(255)
  mp4Filename?: string | null;

  /**
   * URLs that get a POST with the download object when it completes or fails (the task's rest_endpoints); hosts must be in CALLBACK_ALLOWED_HOSTS.
   * @example ["https://cms.example.com/hooks/vod-download"]
   */
  @IsOptional()
  @IsArray({ message: 'restEndpoints must be a list of URLs' })
  @ArrayMaxSize(10)
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { each: true, message: 'each of restEndpoints must be an http(s) URL' },
  )
  restEndpoints?: string[] | null;

  /** The clips to cut, in order; they are stitched into one MP4. A single clip object is accepted too. */
  @IsArray({ message: 'downloadClips must be a clip or a list of clips' })
  @ArrayMinSize(1, { message: 'downloadClips needs at least one clip' })
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => DownloadClipDto)
  downloadClips: DownloadClipDto[];
}

export class ListVodDownloadsQueryDto {
  /** @example 50 */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  /** @example 0 */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;
}

export class ContentIdQueryDto {
  /**
   * The content id, percent-encoded.
   * @example "64d45042-1f5b-4d02-a0b8-f1643e38a873"
   */
  @IsString({ message: 'id (the content id) is required' })
  @MinLength(1, { message: 'id (the content id) must not be empty' })
  id: string;
}

export class DeleteExpiredQueryDto {
  /**
   * Days added to DOWNLOAD_EXPIRY_DAYS before a download counts as expired.
   * @example 0
   */
  @IsOptional()
  @Matches(/^\d{1,5}$/, { message: 'buffer must be a whole number of days, 0 or more' })
  buffer?: string;
}

/** The seed's VOD Download object, plus status, progress, failureReason, mp4Filename and frameAccurate. */
export class VodDownloadResponseDto {
  /** @example "f9a4c3ab-c466-4be9-b8c0-0018ee27790c" */
  id: string;
  /** @example "64d45042-1f5b-4d02-a0b8-f1643e38a873" */
  contentId: string;
  /** @example "6f9b7d7d-4caa-0149-9fff-e54b578124f8" */
  eventId: string;
  /** @example "downloads/64d45042-1f5b-4d02-a0b8-f1643e38a873/64d45042-1f5b-4d02-a0b8-f1643e38a873.mp4" */
  downloadPath: string;
  /** @example "email-address@domain.com" */
  emailAddress: string;
  /** @example "2018-10-16T21:34:22.000Z" */
  creationDate: string;
  /** @example "2018-10-17T01:18:40.000Z" */
  completionDate: string | null;
  /** @example null */
  failureDate: string | null;
  /**
   * Null until the file is complete. With DOWNLOAD_LINK_SECRET it is `/signed/downloads/<folder>/<file>?expires=<unix second>&md5=<signature>`:
   * nginx's secure_link parameters, valid until the download expires.
   * @example "http://localhost:3000/downloads/64d45042-1f5b-4d02-a0b8-f1643e38a873/64d45042-1f5b-4d02-a0b8-f1643e38a873.mp4" */
  downloadUrl: string | null;
  /** The processing task as a JSON string, in the original workflow engine's format. */
  downloadTaskJson: string;
  /** @example "en" */
  emailLanguage: string | null;
  /** @example "completed" */
  status: VodDownloadStatus;
  /** Percent done, 0 to 100. @example 100 */
  progress: number;
  /** What went wrong, for failed downloads. @example null */
  failureReason: string | null;
  /** @example "64d45042-1f5b-4d02-a0b8-f1643e38a873.mp4" */
  mp4Filename: string;
  /** @example false */
  frameAccurate: boolean;
  /**
   * How the video was cut, once the file is made: `copy` (stream copy), `smart` (copied, with only
   * the pictures before the first keyframe and after the last clean point re-encoded) or
   * `reencode` (re-encoded whole: also when a smart cut failed its checks, and when clips of
   * different sizes, tracks or encoder settings were brought to one layout). Null before.
   * @example "smart"
   */
  cutMethod: CutMethodName | null;
}
