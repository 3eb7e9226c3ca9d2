import { type JobsOptions } from 'bullmq';
import { DeadlineExceededError } from '@storefront/http-host';
import { type TransactionalDatabase } from './database.ts';
import { EventPublisher } from './event-publisher.ts';
import { type QueueConnection } from './job-options.ts';
import { errorMessage, type EventLogger, silentEventLogger } from './logger.ts';
import { eventFromOutboxRow, type OutboxRow } from './outbox.ts';
import { type OutboxWakeups } from './outbox-listener.ts';
import { type EventSubscriptions } from './routing.ts';
import { tracePublish } from './tracing.ts';

export interface OutboxRelayOptions {
  /** The subgraph's Prisma client (its database holds outbox_events). */
  db: TransactionalDatabase;
  subscriptions: EventSubscriptions;
  queues: QueueConnection;
  /** Rows per transaction. A batch's rows stay locked until it commits, so keep it modest. */
  batchSize?: number;
  /**
   * Poll delay when idle: starts at min, doubles per empty poll up to max; any work resets it. With `wakeups`
   * this is only the safety net (a lost notification, a listener that is reconnecting).
   */
  idleDelayMs?: { min: number; max: number };
  /** What wakes the relay as soon as outbox rows commit (PostgresOutboxListener); started and closed with it. */
  wakeups?: OutboxWakeups;
  /** A row that failed this many publishes is no longer picked (it waits for a person; see README). */
  maxAttempts?: number;
  /** Interactive-transaction timeout for one batch (Prisma's default of 5 s is short for 100 Redis writes). */
  transactionTimeoutMs?: number;
  /** Overrides of EVENT_JOB_OPTIONS for the jobs this relay adds. */
  jobOptions?: JobsOptions;
  logger?: EventLogger;
  /** Told each batch's outcome, or the error that rolled it back (metrics.ts relayMetrics). */
  onBatch?: (outcome: RelayBatchResult | Error) => void;
}

export interface RelayBatchResult {
  /** Rows handed to BullMQ and marked published. */
  published: number;
  /** Rows whose publish failed this time (attempts incremented; retried on a later poll). */
  failed: number;
}

/**
 * Moves outbox rows to BullMQ. Each batch is one database transaction:
 *
 *   SELECT … WHERE published_at IS NULL ORDER BY occurred_at, id LIMIT n FOR UPDATE SKIP LOCKED
 *   → add each event to its consumers' queues (jobId = event id) → mark published_at → COMMIT
 *
 * Delivery is at-least-once. A crash (or error) after publishing and before COMMIT leaves the rows unpublished,
 * so the next batch publishes them again: BullMQ ignores a jobId it still holds, and processed_events makes
 * the consumer ignore one it has already handled. The row locks make relays safe to run side by side (one
 * per subgraph replica): SKIP LOCKED lets each take rows the others have not, and no row is published by two
 * relays at once. Order is occurred_at within a batch; across concurrent relays and retries consumers must not
 * rely on order.
 */
export class OutboxRelay {
  readonly #db: TransactionalDatabase;
  readonly #publisher: EventPublisher;
  readonly #batchSize: number;
  readonly #idleDelay: { min: number; max: number };
  readonly #maxAttempts: number;
  readonly #transactionTimeoutMs: number;
  readonly #logger: EventLogger;
  readonly #onBatch: ((outcome: RelayBatchResult | Error) => void) | undefined;
  readonly #wakeups: OutboxWakeups | undefined;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #endSleep: (() => void) | undefined;
  /** A wake-up arrived since the current batch began: its rows may have committed after the batch's SELECT. */
  #woken = false;
  /** The last batch failed or had rows it could not publish. */
  #failing = false;

  constructor(options: OutboxRelayOptions) {
    this.#db = options.db;
    this.#publisher = new EventPublisher({ subscriptions: options.subscriptions, queues: options.queues, jobOptions: options.jobOptions });
    this.#batchSize = options.batchSize ?? 100;
    this.#idleDelay = options.idleDelayMs ?? { min: 100, max: 5_000 };
    this.#maxAttempts = options.maxAttempts ?? 10;
    this.#transactionTimeoutMs = options.transactionTimeoutMs ?? 30_000;
    this.#logger = options.logger ?? silentEventLogger;
    this.#onBatch = options.onBatch;
    this.#wakeups = options.wakeups;
  }

  /**
   * Asks for a batch now (rows were just committed): ends the idle sleep, or, during a batch, makes the loop
   * go again right after it. Cheap to call often; any number of calls during one batch cost one more batch.
   */
  wake(): void {
    this.#woken = true;
    // While failing (database or Redis away, a row Redis refuses) the backoff holds: waking on every commit
    // would retry the failing rows as fast as orders come in and spend their attempts in seconds.
    if (!this.#failing) this.#endSleep?.();
  }

  /** Publishes one batch. Throws when the transaction fails; its rows are then retried by a later batch. */
  async relayOnce(): Promise<RelayBatchResult> {
    if (!this.#onBatch) return this.#relayBatch();
    try {
      const result = await this.#relayBatch();
      this.#onBatch(result);
      return result;
    } catch (error) {
      this.#onBatch(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  #relayBatch(): Promise<RelayBatchResult> {
    return this.#db.$transaction(
      async (tx) => {
        const rows = await tx.$queryRaw<OutboxRow[]>`
          SELECT id::text AS id, type, version, source, aggregate_id, correlation_id, trace_context, payload, occurred_at, attempts
          FROM outbox_events
          WHERE published_at IS NULL AND attempts < ${this.#maxAttempts}
          ORDER BY occurred_at, id
          LIMIT ${this.#batchSize}
          FOR UPDATE SKIP LOCKED`;
        const published: string[] = [];
        const failed: string[] = [];
        // One row at a time, in order: a row that cannot be published (contract broken since it was written,
        // Redis refusing it) is counted and skipped instead of holding back the rows behind it. A Redis that does
        // not answer at all is no fault of the row: the batch rolls back (what it added is de-duplicated by jobId
        // when published again) and the relay backs off, as when the database is away.
        for (const row of rows) {
          try {
            // A "publish <type>" span in the producer's trace; the job carries it on to the consumer (tracing.ts).
            await tracePublish(eventFromOutboxRow(row), (event) => this.#publisher.publish(event));
            published.push(row.id);
          } catch (error) {
            if (error instanceof DeadlineExceededError) throw error;
            failed.push(row.id);
            this.#logger.error({ eventId: row.id, type: row.type, attempts: row.attempts + 1, err: errorMessage(error) }, 'outbox event not published');
          }
        }
        if (published.length) {
          await tx.$executeRaw`
            UPDATE outbox_events SET published_at = now(), attempts = attempts + 1 WHERE id = ANY(${published}::uuid[])`;
        }
        if (failed.length) {
          await tx.$executeRaw`UPDATE outbox_events SET attempts = attempts + 1 WHERE id = ANY(${failed}::uuid[])`;
        }
        return { published: published.length, failed: failed.length };
      },
      { timeout: this.#transactionTimeoutMs },
    );
  }

  /** Starts polling in the background (no-op if running). */
  start(): void {
    if (this.#loop) return;
    this.#stopping = false;
    this.#loop = this.#run();
    this.#wakeups?.start(() => this.wake());
  }

  get running(): boolean {
    return this.#loop !== undefined;
  }

  /** Stops polling after the batch in progress commits, then closes the listener and the queue connections. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#endSleep?.();
    await this.#loop;
    this.#loop = undefined;
    await this.#wakeups?.close();
    await this.#publisher.close();
  }

  async #run(): Promise<void> {
    let delay = this.#idleDelay.min;
    while (!this.#stopping) {
      let result: RelayBatchResult | undefined;
      this.#woken = false;
      try {
        result = await this.relayOnce();
      } catch (error) {
        // Database or Redis unavailable: the batch rolled back; back off like an idle poll instead of spinning.
        this.#logger.error({ err: errorMessage(error) }, 'outbox relay batch failed');
      }
      this.#failing = !result || result.failed > 0;
      const handled = result ? result.published + result.failed : 0;
      if (result && handled >= this.#batchSize) {
        delay = this.#idleDelay.min; // more rows are likely waiting: go again at once
        continue;
      }
      delay = result && result.published > 0 ? this.#idleDelay.min : delay;
      // Woken during the batch: those rows committed too late for its SELECT.
      if (this.#woken && !this.#failing) continue;
      await this.#sleep(delay);
      if (!result || result.published === 0) delay = Math.min(delay * 2, this.#idleDelay.max);
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#endSleep = done;
    }).finally(() => {
      this.#endSleep = undefined;
    });
  }
}
