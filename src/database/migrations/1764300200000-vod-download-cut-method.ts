import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/** How each download's video was cut (copy, smart or reencode); null until it is made, and for downloads made before. */
export class VodDownloadCutMethod1764300200000 implements MigrationInterface {
  name = 'VodDownloadCutMethod1764300200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'vod_download',
      new TableColumn({ name: 'cutMethod', type: 'varchar', length: '16', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('vod_download', 'cutMethod');
  }
}
