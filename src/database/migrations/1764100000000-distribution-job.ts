import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { timestampType } from './column-types.js';

/** Opencast jobs of the distribution service, with integer ids as Opencast's clients expect. */
export class DistributionJob1764100000000 implements MigrationInterface {
  name = 'DistributionJob1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = timestampType(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'distribution_job',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'version', type: 'integer', default: 1 },
          { name: 'operation', type: 'varchar', length: '16' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'argsJson', type: 'text' },
          { name: 'payload', type: 'text', isNullable: true },
          { name: 'failureReason', type: 'text', isNullable: true },
          { name: 'creator', type: 'varchar', length: '255' },
          { name: 'organization', type: 'varchar', length: '255' },
          { name: 'createdHost', type: 'varchar', length: '255' },
          { name: 'processingHost', type: 'varchar', length: '255', isNullable: true },
          { name: 'dateCreated', type: timestamp },
          { name: 'dateStarted', type: timestamp, isNullable: true },
          { name: 'dateCompleted', type: timestamp, isNullable: true },
        ],
        indices: [new TableIndex({ name: 'IDX_distribution_job_status', columnNames: ['status'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('distribution_job');
  }
}
