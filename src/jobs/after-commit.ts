import type {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';

/**
 * Runs work once the transaction of a manager has committed, and drops it when the transaction
 * rolls back: for telling other processes (through Redis) about rows they must not look for
 * before they exist. Work that throws is the caller's to catch; it never fails the commit.
 */
export class AfterCommit implements EntitySubscriberInterface {
  private readonly pending = new WeakMap<QueryRunner, Array<() => void>>();

  constructor(dataSource: DataSource) {
    dataSource.subscribers.push(this);
  }

  /** Runs `work` after `manager`'s transaction commits, or at once when it is in none. */
  run(manager: EntityManager | undefined, work: () => void): void {
    const runner = manager?.queryRunner;
    if (!runner?.isTransactionActive) {
      work();
      return;
    }
    const queued = this.pending.get(runner) ?? [];
    queued.push(work);
    this.pending.set(runner, queued);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    // A released savepoint: the outer transaction still decides.
    if (event.queryRunner.isTransactionActive) return;
    const queued = this.pending.get(event.queryRunner) ?? [];
    this.pending.delete(event.queryRunner);
    for (const work of queued) work();
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) this.pending.delete(event.queryRunner);
  }
}
