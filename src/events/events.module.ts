import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MediaClockReader } from '../media/media-clock-reader.js';
import { EventsController } from './events.controller.js';
import { EventsService } from './events.service.js';
import { RecordedEvent } from './recorded-event.entity.js';

@Module({
  imports: [TypeOrmModule.forFeature([RecordedEvent])],
  controllers: [EventsController],
  providers: [EventsService, MediaClockReader],
  exports: [EventsService],
})
export class EventsModule {}
