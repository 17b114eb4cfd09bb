import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BadRequestException, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { AvailabilityChecker } from './availability-checker.js';
import type { DistributionOperation } from './distribution-job.entity.js';
import { FormFieldError, parseElementIds, parseFlag } from './distribution-form.js';
import { ElementSources, LocatedSource } from './element-sources.js';
import { isHlsPlaylist, isRelativeReference, playlistReferences, rewritePlaylist } from './hls-playlist.js';
import { MediaPackage, MediaPackageElement, MediaPackageError } from './mediapackage.js';
import { fileNameOf, fileNameProblem, idSegmentProblem } from './path-segments.js';
import { ElementLocation, Publication, PublishedFiles } from './published-files.js';

/** The form fields of Opencast's distribution endpoints, as sent. */
export interface DistributionForm {
  mediapackage: string;
  channelId: string;
  elementId: string;
  checkAvailability?: string;
  preserveReference?: string;
}

interface PlannedElement {
  element: MediaPackageElement;
  location: ElementLocation;
  /** Set for Distribute: the element's file name and its checked source. */
  file?: { name: string; source: LocatedSource };
}

/** A request that passed every check; running it can still fail on I/O. */
export interface DistributionRequest {
  operation: DistributionOperation;
  channelId: string;
  mediaPackageXml: string;
  elementIds: string[];
  elements: PlannedElement[];
  checkAvailability: boolean;
  preserveReference: boolean;
}

/** Playlists may name playlists (master → variant); deeper nesting is not HLS. */
const MAX_PLAYLIST_DEPTH = 3;

/**
 * Opencast's download distribution: publishes elements' files under DISTRIBUTION_DIR and gives
 * them URLs under DISTRIBUTION_BASE_URL, and retracts them again.
 */
@Injectable()
export class DistributionService {
  constructor(
    private readonly config: AppConfig,
    private readonly files: PublishedFiles,
    private readonly sources: ElementSources,
    private readonly availability: AvailabilityChecker,
  ) {}

  /** Checks everything that can be checked before any work: fields, XML, ids, names, sources. */
  async prepare(operation: DistributionOperation, form: DistributionForm): Promise<DistributionRequest> {
    try {
      const channelProblem = idSegmentProblem('The channelId', form.channelId);
      if (channelProblem) throw new BadRequestException(channelProblem);
      const mediaPackage = MediaPackage.parse(form.mediapackage);
      const mediaPackageProblem = idSegmentProblem('The mediapackage id', mediaPackage.id);
      if (mediaPackageProblem) throw new BadRequestException(mediaPackageProblem);
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
      };
    } catch (error) {
      if (error instanceof MediaPackageError || error instanceof FormFieldError) throw new BadRequestException(error.message);
      throw error;
    }
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
  async distribute(request: DistributionRequest, signal?: AbortSignal): Promise<string[]> {
    const publication = this.files.startPublication();
    try {
      for (const planned of request.elements) {
        const { name, source } = fileOf(planned);
        const destination = join(this.files.elementFolder(planned.location), name);
        if (isHlsPlaylist(name, planned.element.mimetype)) {
          const staged = new Map([[destination, name]]);
          await this.stagePlaylist(publication, source, destination, request.elements, staged, 1, signal);
        } else {
          await publication.stage(destination, (temporary) => this.sources.placeAt(source, temporary, signal));
        }
        signal?.throwIfAborted();
      }
      await publication.commit();
      if (request.checkAvailability) {
        for (const planned of request.elements) await this.availability.waitUntilAvailable(this.publishedUrl(planned), signal);
      }
    } catch (error) {
      await publication.rollback();
      throw error;
    }
    await publication.finish();
    return request.elements.map((planned) => planned.element.toXml(this.publishedUrl(planned)));
  }

  /** Removes the elements' published files; answers the elements as they were passed in. */
  async retract(request: DistributionRequest): Promise<string[]> {
    for (const planned of request.elements) await this.files.retract(planned.location);
    return request.elements.map((planned) => planned.element.toXml());
  }

  private async planElement(
    operation: DistributionOperation,
    mediaPackage: MediaPackage,
    channelId: string,
    elementId: string,
  ): Promise<PlannedElement> {
    const element = mediaPackage.findElement(elementId, channelId);
    if (!element) throw new BadRequestException(`The mediapackage ${mediaPackage.id} has no element with id ${elementId}`);
    const location: ElementLocation = {
      organization: this.config.distribution.organization,
      channelId,
      mediaPackageId: mediaPackage.id,
      elementId,
    };
    if (operation === 'Retract') return { element, location };
    const url = element.url;
    if (!url) throw new BadRequestException(`The element ${elementId} has no <url> to distribute`);
    const fileName = fileNameOf(url);
    const problem = fileNameProblem(fileName);
    if (problem) throw new BadRequestException(`Element ${elementId}: ${problem}`);
    return { element, location, file: { name: fileName, source: await this.sources.locate(url) } };
  }

  /**
   * Stages a playlist with its references rewritten: a file that is another element of this
   * request becomes `../<elementId>/<file>`; any other relative reference is published next to
   * the playlist (through the same source checks) and referenced by its file name.
   */
  private async stagePlaylist(
    publication: Publication,
    source: LocatedSource,
    destination: string,
    requested: readonly PlannedElement[],
    staged: Map<string, string>,
    depth: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const text = await this.sources.readText(source, signal);
    const folder = join(destination, '..');
    const replacements = new Map<string, string>();
    for (const reference of playlistReferences(text).filter(isRelativeReference)) {
      const name = fileNameOf(reference);
      const sibling = requested.find(
        (planned) => planned.file?.name === name && this.files.elementFolder(planned.location) !== folder,
      );
      if (sibling) {
        replacements.set(reference, `../${encodeURIComponent(sibling.location.elementId)}/${encodeURIComponent(name)}`);
        continue;
      }
      const problem = fileNameProblem(name);
      if (problem) throw new BadRequestException(`The playlist reference ${reference}: ${problem}`);
      replacements.set(reference, encodeURIComponent(name));
      const target = join(folder, name);
      const stagedFrom = staged.get(target);
      if (stagedFrom === reference) continue;
      if (stagedFrom !== undefined) {
        throw new BadRequestException(`The playlist references ${stagedFrom} and ${reference}, which would both be published as ${name}`);
      }
      staged.set(target, reference);
      const referenced = await this.sources.locateRelative(reference, source);
      if (isHlsPlaylist(name, null) && depth < MAX_PLAYLIST_DEPTH) {
        await this.stagePlaylist(publication, referenced, target, requested, staged, depth + 1, signal);
      } else {
        await publication.stage(target, (temporary) => this.sources.placeAt(referenced, temporary, signal));
      }
    }
    const rewritten = rewritePlaylist(text, (uri) => replacements.get(uri));
    await publication.stage(destination, (temporary) => writeFile(temporary, rewritten, { flag: 'wx' }));
  }

  private publishedUrl(planned: PlannedElement): string {
    const { organization, channelId, mediaPackageId, elementId } = planned.location;
    const segments = [organization, channelId, mediaPackageId, elementId, fileOf(planned).name].map(encodeURIComponent);
    return `${this.config.distribution.baseUrl}/${segments.join('/')}`;
  }
}

function fileOf(planned: PlannedElement): NonNullable<PlannedElement['file']> {
  if (!planned.file) throw new Error(`Element ${planned.location.elementId} was planned for Retract, not Distribute`);
  return planned.file;
}
