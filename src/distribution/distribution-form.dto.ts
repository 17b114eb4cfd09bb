import { ApiProperty } from '@nestjs/swagger';
import { IgnoresUnknownFields } from '../common/app-validation.pipe.js';
import { IsNotEmpty, IsOptional, IsString } from 'class-validator';

const MEDIAPACKAGE_EXAMPLE =
  '<mediapackage xmlns="http://mediapackage.opencastproject.org" id="10e8d6b7-24b6-4a0b-b2fa-a2b5c9d54b2d"><media>' +
  '<track id="track-1" type="presenter/delivery"><mimetype>video/mp4</mimetype><url>file:///srv/media/video.mp4</url></track>' +
  '</media></mediapackage>';

@IgnoresUnknownFields()
export class RetractFormDto {
  /** The mediapackage XML in namespace http://mediapackage.opencastproject.org (default namespace or a prefix such as ns2:). */
  // The swagger plugin drops quotes from JSDoc examples, which XML and JSON need.
  @ApiProperty({ example: MEDIAPACKAGE_EXAMPLE })
  @IsString({ message: 'mediapackage must be the mediapackage XML as one form field' })
  @IsNotEmpty({ message: 'mediapackage is required: send the mediapackage XML' })
  mediapackage: string;

  /**
   * The publication channel, one path segment.
   * @example "engage-player"
   */
  @IsString({ message: 'channelId must be one form field' })
  @IsNotEmpty({ message: 'channelId is required: send the publication channel id' })
  channelId: string;

  /** One element id, or several as a JSON array (`["a","b"]` or `['a','b']`). */
  @ApiProperty({ example: '["track-1","catalog-1"]' })
  @IsString({ message: 'elementId must be one form field' })
  @IsNotEmpty({ message: 'elementId is required: send an element id or a JSON array of ids' })
  elementId: string;
}

export class DistributeFormDto extends RetractFormDto {
  /**
   * After publishing, confirm each URL answers HEAD with 200 (default true).
   * @example "true"
   */
  // Read by parseFlag (distribution-form.ts), the one parser of these flags, also for stored jobs.
  @IsOptional()
  @IsString({ message: 'checkAvailability must be true or false' })
  checkAvailability?: string;

  /**
   * Accepted for Opencast's client; the element's ref is always kept (default false).
   * @example "false"
   */
  @IsOptional()
  @IsString({ message: 'preserveReference must be true or false' })
  preserveReference?: string;
}
