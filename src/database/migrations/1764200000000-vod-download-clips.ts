import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/**
 * Each download's clips with their event and resolved offsets, so the worker no longer looks the
 * event up by source. Rows from before have none; the worker falls back to that lookup for them.
 * Also: content ids of up to 256 characters, and downloads found by their path (the link).
 */
export class VodDownloadClips1764200000000 implements MigrationInterface {
  name = 'VodDownloadClips1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // First, while no row refers to vod_download: on SQLite, changing a column rebuilds the table.
    await widenContentId(queryRunner, '256');
    await queryRunner.createIndex(
      'vod_download',
      new TableIndex({ name: 'UQ_vod_download_path', columnNames: ['downloadPath'], isUnique: true }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'vod_download_clip',
        columns: [
          { name: 'downloadId', type: 'varchar', length: '36', isPrimary: true },
          { name: 'position', type: 'integer', isPrimary: true },
          { name: 'eventId', type: 'varchar', length: '36' },
          { name: 'startSeconds', type: 'double precision' },
          { name: 'endSeconds', type: 'double precision', isNullable: true },
        ],
        foreignKeys: [
          {
            name: 'FK_vod_download_clip_download',
            columnNames: ['downloadId'],
            referencedTableName: 'vod_download',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('vod_download_clip');
    await queryRunner.dropIndex('vod_download', 'UQ_vod_download_path');
    await widenContentId(queryRunner, '128');
  }
}

/**
 * Gives vod_download.contentId a new length, keeping its values and unique index. On PostgreSQL
 * TypeORM's changeColumn drops a column whose length changes and adds it again, empty; ALTER
 * COLUMN TYPE keeps both there.
 */
async function widenContentId(queryRunner: QueryRunner, length: string): Promise<void> {
  if (queryRunner.connection.driver.options.type === 'postgres') {
    await queryRunner.query(`ALTER TABLE "vod_download" ALTER COLUMN "contentId" TYPE varchar(${length})`);
    return;
  }
  await queryRunner.changeColumn(
    'vod_download',
    'contentId',
    new TableColumn({ name: 'contentId', type: 'varchar', length }),
  );
}
