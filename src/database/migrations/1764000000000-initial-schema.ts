import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { booleanDefault, timestampType } from './column-types.js';

/** Jobs, events and VOD downloads. Written with TypeORM's schema API, so it runs on SQLite and PostgreSQL alike. */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = timestampType(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'job',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'key', type: 'varchar', length: '255' },
          { name: 'data', type: 'text' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'runAt', type: timestamp },
          { name: 'lockedBy', type: 'varchar', length: '64', isNullable: true },
          { name: 'lockedUntil', type: timestamp, isNullable: true },
          { name: 'lastError', type: 'text', isNullable: true },
          { name: 'createdAt', type: timestamp },
        ],
        indices: [
          new TableIndex({ name: 'IDX_job_due', columnNames: ['name', 'status', 'runAt'] }),
          new TableIndex({ name: 'IDX_job_key', columnNames: ['key'] }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'event',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'title', type: 'varchar', length: '500' },
          { name: 'sourceUrl', type: 'varchar', length: '2000' },
          { name: 'startTime', type: timestamp, isNullable: true },
          { name: 'duration', type: 'double precision', isNullable: true },
          { name: 'createdAt', type: timestamp },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'vod_download',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'contentId', type: 'varchar', length: '128' },
          { name: 'eventId', type: 'varchar', length: '36' },
          { name: 'downloadPath', type: 'varchar', length: '400' },
          { name: 'emailAddress', type: 'varchar', length: '320' },
          { name: 'creationDate', type: timestamp },
          { name: 'completionDate', type: timestamp, isNullable: true },
          { name: 'failureDate', type: timestamp, isNullable: true },
          { name: 'downloadTaskJson', type: 'text' },
          { name: 'emailLanguage', type: 'varchar', length: '35', isNullable: true },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'progress', type: 'integer', default: 0 },
          { name: 'failureReason', type: 'text', isNullable: true },
          { name: 'mp4Filename', type: 'varchar', length: '255' },
          { name: 'frameAccurate', type: 'boolean', default: booleanDefault(queryRunner, false) },
        ],
        indices: [
          new TableIndex({ name: 'UQ_vod_download_content', columnNames: ['contentId'], isUnique: true }),
          new TableIndex({ name: 'IDX_vod_download_event', columnNames: ['eventId', 'creationDate'] }),
          new TableIndex({ name: 'IDX_vod_download_created', columnNames: ['creationDate'] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('vod_download');
    await queryRunner.dropTable('event');
    await queryRunner.dropTable('job');
  }
}
