import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

/** Links a distribution job to its job in an Opencast cluster's service registry. */
export class DistributionRegistryJob1764300000000 implements MigrationInterface {
  name = 'DistributionRegistryJob1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('distribution_job', [
      new TableColumn({ name: 'registryJobId', type: 'integer', isNullable: true }),
      new TableColumn({ name: 'registryStatus', type: 'varchar', length: '16', isNullable: true }),
    ]);
    await queryRunner.createIndex(
      'distribution_job',
      new TableIndex({ name: 'IDX_distribution_job_registry_job', columnNames: ['registryJobId'], isUnique: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('distribution_job', 'IDX_distribution_job_registry_job');
    await queryRunner.dropColumns('distribution_job', ['registryJobId', 'registryStatus']);
  }
}
