import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { timestampType } from './column-types.js';

/** Claims on scheduled runs, so that a schedule runs once per tick across processes. */
export class ScheduleClaims1764000100000 implements MigrationInterface {
  name = 'ScheduleClaims1764000100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'schedule_claim',
        columns: [
          { name: 'name', type: 'varchar', length: '64', isPrimary: true },
          { name: 'scheduledAt', type: timestampType(queryRunner), isPrimary: true },
          { name: 'claimedBy', type: 'varchar', length: '64' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('schedule_claim');
  }
}
