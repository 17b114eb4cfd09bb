import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { API_KEY_REQUIRED } from '../common/api-key.guard.js';
import { NoContentWhenEmpty } from '../common/no-content.interceptor.js';
import { CreateEventDto } from './create-event.dto.js';
import { EventsService } from './events.service.js';
import { RecordedEvent } from './recorded-event.entity.js';

@ApiTags('Events')
@ApiUnauthorizedResponse({ description: API_KEY_REQUIRED })
@Controller('event')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  /** Register a recording that downloads can be cut from. */
  @Post()
  @ApiCreatedResponse({ type: RecordedEvent })
  @ApiBadRequestResponse({ description: 'The message names the field to fix, e.g. a sourceUrl outside MEDIA_ROOT' })
  registerEvent(@Body() request: CreateEventDto): Promise<RecordedEvent> {
    return this.events.register(request);
  }

  /** All registered events, newest first. */
  @Get()
  @ApiOkResponse({ type: [RecordedEvent] })
  @NoContentWhenEmpty('No event is registered')
  listEvents(): Promise<RecordedEvent[]> {
    return this.events.list();
  }

  /** One event. */
  @Get(':id')
  @ApiOkResponse({ type: RecordedEvent })
  @NoContentWhenEmpty('No event has this id')
  getEvent(@Param('id') id: string): Promise<RecordedEvent | null> {
    return this.events.find(id);
  }

  /** Remove an event from the registry; downloads already cut from it stay. */
  @Delete(':id')
  @HttpCode(204)
  async deleteEvent(@Param('id') id: string): Promise<void> {
    await this.events.remove(id);
  }
}
