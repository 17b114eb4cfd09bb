import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { Clock } from '../common/clock.js';
import { checkWithin } from '../common/invalid-request.error.js';
import { AppConfig } from '../config/app-config.js';
import { ManifestUnreadableError, MediaClockReader } from '../media/media-clock-reader.js';
import { locateSource } from '../security/source-policy.js';
import { CreateEventDto } from './create-event.dto.js';
import { RecordedEvent } from './recorded-event.entity.js';

/** What an event knows of its media's own clock. */
type MediaClockFields = Pick<RecordedEvent, 'mediaClock' | 'mediaStartTime' | 'mediaDuration'>;

@Injectable()
export class EventsService {
  private readonly logger = new Logger(EventsService.name);

  constructor(
    @InjectRepository(RecordedEvent) private readonly events: Repository<RecordedEvent>,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly mediaClocks: MediaClockReader,
  ) {}

  async register(request: CreateEventDto): Promise<RecordedEvent> {
    checkWithin('sourceUrl', () =>
      locateSource(request.sourceUrl, this.config.mediaRoot, this.config.allowedSourceHosts),
    );
    const event = this.events.create({
      id: randomUUID(),
      title: request.title,
      sourceUrl: request.sourceUrl,
      startTime: request.startTime ? new Date(request.startTime) : null,
      duration: request.duration ?? null,
      ...(await this.readMediaClock(request.sourceUrl)),
      createdAt: this.clock.now(),
    });
    return this.events.save(event);
  }

  /**
   * Reads the media's clock of those events whose manifest could not be read before (at
   * registration, or before the clock was stored at all), and stores it on them.
   */
  async learnMediaClocks(events: RecordedEvent[]): Promise<void> {
    await Promise.all(
      events
        .filter((event) => event.mediaClock === null)
        .map(async (event) => {
          const learnt = await this.readMediaClock(event.sourceUrl);
          if (learnt.mediaClock === null) return;
          Object.assign(event, learnt);
          await this.events.update({ id: event.id }, learnt);
        }),
    );
  }

  find(id: string): Promise<RecordedEvent | null> {
    return this.events.findOneBy({ id });
  }

  list(): Promise<RecordedEvent[]> {
    return this.events.find({ order: { createdAt: 'DESC' } });
  }

  /** The events with these ids, by id; ids that are not registered are absent. */
  async findMany(ids: string[]): Promise<Map<string, RecordedEvent>> {
    const found = await this.events.findBy({ id: In([...new Set(ids)]) });
    return new Map(found.map((event) => [event.id, event]));
  }

  /** Events recorded in this source, newest first. */
  findBySourceUrl(sourceUrl: string): Promise<RecordedEvent[]> {
    return this.events.find({ where: { sourceUrl }, order: { createdAt: 'DESC' } });
  }

  async remove(id: string): Promise<void> {
    await this.events.delete({ id });
  }

  /** The media's own clock, or all null when its manifest cannot be read now (it is tried again later). */
  private async readMediaClock(sourceUrl: string): Promise<MediaClockFields> {
    try {
      const clock = await this.mediaClocks.read(sourceUrl);
      return clock
        ? { mediaClock: clock.kind, mediaStartTime: clock.startTime, mediaDuration: clock.duration }
        : { mediaClock: 'none', mediaStartTime: null, mediaDuration: null };
    } catch (error) {
      if (!(error instanceof ManifestUnreadableError)) throw error;
      this.logger.warn(`The media's clock of ${sourceUrl} is not known yet: ${(error as Error).message}`);
      return { mediaClock: null, mediaStartTime: null, mediaDuration: null };
    }
  }
}
