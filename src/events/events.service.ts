import { randomUUID } from 'node:crypto';
import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { SourceNotAllowedError } from '../security/source-not-allowed-error.js';
import { locateSource } from '../security/source-policy.js';
import { CreateEventDto } from './create-event.dto.js';
import { RecordedEvent } from './recorded-event.entity.js';

@Injectable()
export class EventsService {
  constructor(
    @InjectRepository(RecordedEvent) private readonly events: Repository<RecordedEvent>,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async register(request: CreateEventDto): Promise<RecordedEvent> {
    try {
      locateSource(request.sourceUrl, this.config.mediaRoot, this.config.allowedSourceHosts);
    } catch (error) {
      if (error instanceof SourceNotAllowedError || error instanceof TypeError) {
        throw new BadRequestException(`sourceUrl: ${error.message}`);
      }
      throw error;
    }
    const event = this.events.create({
      id: randomUUID(),
      title: request.title,
      sourceUrl: request.sourceUrl,
      startTime: request.startTime ? new Date(request.startTime) : null,
      duration: request.duration ?? null,
      createdAt: this.clock.now(),
    });
    return this.events.save(event);
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
}
