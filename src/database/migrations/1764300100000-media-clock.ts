import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { timestampType } from './column-types.js';

/**
 * The media's own clock on each event (read from its manifest), and on each clip the clock that
 * placed its times. Events from before have none yet (null): it is read when a download is created.
 */
export class MediaClock1764300100000 implements MigrationInterface {
  name = 'MediaClock1764300100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('event', [
      new TableColumn({ name: 'mediaClock', type: 'varchar', length: '40', isNullable: true }),
      new TableColumn({ name: 'mediaStartTime', type: timestampType(queryRunner), isNullable: true }),
      new TableColumn({ name: 'mediaDuration', type: 'double precision', isNullable: true }),
    ]);
    await queryRunner.addColumn(
      'vod_download_clip',
      new TableColumn({ name: 'placedBy', type: 'varchar', length: '16', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('vod_download_clip', 'placedBy');
    await queryRunner.dropColumns('event', ['mediaDuration', 'mediaStartTime', 'mediaClock']);
  }
}
