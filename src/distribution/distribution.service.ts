import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { InvalidRequestError } from '../common/invalid-request.error.js';
import { AppConfig } from '../config/app-config.js';
import { AvailabilityChecker } from './availability-checker.js';
import type { DistributionOperation } from './distribution-job.entity.js';
import type { DistributeFormDto } from './distribution-form.dto.js';
import { parseElementIds, parseFlag } from './distribution-form.js';
import { ElementSources, LocatedSource } from './element-sources.js';
import { isHlsPlaylist } from './hls-playlist.js';
import { MediaPackage, MediaPackageElement } from './mediapackage.js';
import { fileNameOf, fileNameProblem, idSegmentProblem, sourceOfElementUrl } from './path-segments.js';
import { PlaylistPublisher } from './playlist-publisher.js';
import { ElementLocation, DownloadChannelStore } from './download-channel-store.js';

/** An element to retract: where its files are published. */
interface PlannedRetraction {
  element: MediaPackageElement;
  location: ElementLocation;
}

/** An element to distribute: where it goes, its file name and its checked source. */
interface PlannedDistribution extends PlannedRetraction {
  file: { name: string; source: LocatedSource };
}

interface RequestFields {
  channelId: string;
  mediaPackageXml: string;
  elementIds: string[];
  checkAvailability: boolean;
  preserveReference: boolean;
}

/** A request that passed every check; running it can still fail on I/O. */
export type DistributionRequest =
  | (RequestFields & { operation: 'Distribute'; elements: PlannedDistribution[] })
  | (RequestFields & { operation: 'Retract'; elements: PlannedRetraction[] });

type RequestFor<O extends DistributionOperation> = Extract<DistributionRequest, { operation: O }>;

/**
 * Opencast's download distribution: publishes elements' files under DISTRIBUTION_DIR and gives
 * them URLs under DISTRIBUTION_BASE_URL, and retracts them again.
 */
@Injectable()
export class DistributionService {
  constructor(
    private readonly config: AppConfig,
    private readonly files: DownloadChannelStore,
    private readonly sources: ElementSources,
    private readonly availability: AvailabilityChecker,
  ) {}

  /** Checks everything that can be checked before any work: fields, XML, ids, names, sources. */
  async prepare<O extends DistributionOperation>(operation: O, form: DistributeFormDto): Promise<RequestFor<O>> {
    const channelProblem = idSegmentProblem('The channelId', form.channelId);
    if (channelProblem) throw new InvalidRequestError(channelProblem);
    const mediaPackage = MediaPackage.parse(form.mediapackage);
    const mediaPackageProblem = idSegmentProblem('The mediapackage id', mediaPackage.id);
    if (mediaPackageProblem) throw new InvalidRequestError(mediaPackageProblem);
    const elementIds = parseElementIds(form.elementId);
    const elements = await Promise.all(
      elementIds.map((elementId) => this.planElement(operation, mediaPackage, form.channelId, elementId)),
    );
    return {
      operation,
      channelId: form.channelId,
      mediaPackageXml: form.mediapackage,
      elementIds,
      elements,
      checkAvailability: operation === 'Distribute' && parseFlag('checkAvailability', form.checkAvailability, true),
      preserveReference: operation === 'Distribute' && parseFlag('preserveReference', form.preserveReference, false),
    } as RequestFor<O>;
  }

  /** The job arguments, in Opencast's order. */
  argumentsOf(request: DistributionRequest): string[] {
    const common = [request.channelId, request.mediaPackageXml, JSON.stringify(request.elementIds)];
    return request.operation === 'Distribute'
      ? [...common, String(request.checkAvailability), String(request.preserveReference)]
      : common;
  }

  /** The request a job stored, checked again (sources may have changed since). */
  fromArguments(operation: DistributionOperation, args: string[]): Promise<DistributionRequest> {
    const [channelId, mediapackage, elementId, checkAvailability, preserveReference] = args;
    return this.prepare(operation, { channelId, mediapackage, elementId, checkAvailability, preserveReference });
  }

  /**
   * Publishes every element or none; answers the elements' XML documents with their new URLs.
   * Only `<url>` changes: the reference and everything else are kept (preserveReference is moot).
   */
  async distribute(request: RequestFor<'Distribute'>, signal?: AbortSignal): Promise<string[]> {
    const siblings = request.elements.map((planned) => ({
      elementId: planned.location.elementId,
      folder: this.files.elementFolder(planned.location),
      ...planned.file,
    }));
    const publication = await this.files.startPublication(siblings.map((sibling) => sibling.folder));
    const playlists = new PlaylistPublisher(publication, this.sources, siblings, signal);
    try {
      for (const planned of request.elements) {
        const { name, source } = planned.file;
        const destination = join(this.files.elementFolder(planned.location), name);
        if (isHlsPlaylist(name, planned.element.mimetype)) {
          await playlists.stageElementPlaylist(source, destination, planned.element.url ?? name);
        } else {
          await publication.stage(destination, (temporary) => this.sources.placeAt(source, temporary, signal));
        }
        signal?.throwIfAborted();
      }
      await publication.commit();
      if (request.checkAvailability) {
        for (const planned of request.elements)
          await this.availability.waitUntilAvailable(this.publishedUrl(planned), signal);
      }
    } catch (error) {
      await publication.rollback();
      throw error;
    }
    await publication.finish();
    return request.elements.map((planned) => planned.element.toXml(this.publishedUrl(planned)));
  }

  /** Removes the elements' published files; answers the elements as they were passed in. */
  async retract(request: { elements: readonly PlannedRetraction[] }): Promise<string[]> {
    for (const planned of request.elements) await this.files.retract(planned.location);
    return request.elements.map((planned) => planned.element.toXml());
  }

  private async planElement(
    operation: DistributionOperation,
    mediaPackage: MediaPackage,
    channelId: string,
    elementId: string,
  ): Promise<PlannedRetraction | PlannedDistribution> {
    const element = mediaPackage.findElement(elementId, channelId);
    if (!element)
      throw new InvalidRequestError(`The mediapackage ${mediaPackage.id} has no element with id ${elementId}`);
    const location: ElementLocation = {
      organization: this.config.distribution.organization,
      channelId,
      mediaPackageId: mediaPackage.id,
      elementId,
    };
    if (operation === 'Retract') return { element, location };
    if (!element.url) throw new InvalidRequestError(`The element ${elementId} has no <url> to distribute`);
    const url = sourceOfElementUrl(element.url);
    const fileName = fileNameOf(url);
    const problem = fileNameProblem(fileName);
    if (problem) throw new InvalidRequestError(`Element ${elementId}: ${problem}`);
    return { element, location, file: { name: fileName, source: await this.sources.locate(url) } };
  }

  private publishedUrl(planned: PlannedDistribution): string {
    const { organization, channelId, mediaPackageId, elementId } = planned.location;
    const segments = [organization, channelId, mediaPackageId, elementId, planned.file.name].map(encodeURIComponent);
    return `${this.config.distribution.baseUrl}/${segments.join('/')}`;
  }
}
