import { type Job, UnrecoverableError, type WorkerOptions } from 'bullmq';
import { type DomainEvent, type EventType, parseEvent } from './contracts/registry.ts';
import { type SqlExecutor, type TransactionalDatabase } from './database.ts';
import { type QueueConnection } from './job-options.ts';
import { createJobWorker, type JobWorker } from './job-worker.ts';
import { type EventLogger, silentEventLogger } from './logger.ts';
import { alreadyProcessed, type ApplyOutcome, applyEventOnce } from './processed-events.ts';
import { consumerQueueName } from './routing.ts';
import { traceProcess } from './tracing.ts';

/** What a handler gets besides the event: the job, for logging and progress. */
export interface EventContext {
  job: Job;
  consumer: string;
}

/**
 * Handlers by event type. Each runs inside the transaction that records the event in processed_events, with
 * that transaction's client: write through `tx` only, so the effect commits with the record. Throw to retry
 * (BullMQ backs off); throw UnrecoverableError when retrying cannot help (the job then goes straight to the
 * dead-letter queue). Side effects outside the database (e-mail, HTTP) are not rolled back: make them
 * idempotent on event.id themselves.
 */
export type EventHandlers<Tx extends SqlExecutor> = {
  [T in EventType]?: ((event: DomainEvent<T>, tx: Tx, context: EventContext) => Promise<void>) | EffectFirstHandler<DomainEvent<T>, Tx>;
};

/**
 * For an effect that must run in transactions of its own (a domain function that opens them, a provider call):
 * `effect` runs first, outside the consumer's transaction, and must be idempotent by a natural key (an order
 * id); `record` then writes what follows from it (a reply event) through `tx`, with the processed_events row. A
 * crash between the two repeats the effect on redelivery, which changes nothing the second time. Keeping the
 * effect out of the consumer's transaction also means one event never needs two connections at once (the
 * embedded database has one).
 */
export interface EffectFirstHandler<E, Tx> {
  effect(event: E, context: EventContext): Promise<unknown>;
  record(event: E, tx: Tx, result: never, context: EventContext): Promise<void>;
}

/** Builds an EffectFirstHandler with the effect's result typed through to record. */
export function effectFirst<E, Tx, R>(handler: {
  effect(event: E, context: EventContext): Promise<R>;
  record(event: E, tx: Tx, result: R, context: EventContext): Promise<void>;
}): EffectFirstHandler<E, Tx> {
  return handler as EffectFirstHandler<E, Tx>;
}

export interface EventConsumerOptions<Tx extends SqlExecutor> {
  /** The consumer group's name (its queue is events.<consumer>); must match the relays' subscriptions. */
  consumer: string;
  /** The consumer's own Prisma client (its database holds processed_events). */
  db: TransactionalDatabase<Tx> & Pick<SqlExecutor, '$queryRaw'>;
  queues: QueueConnection;
  handlers: EventHandlers<Tx>;
  /** Jobs processed at once by this worker. */
  concurrency?: number;
  transactionTimeoutMs?: number;
  /** Passed to BullMQ's Worker (e.g. lockDuration, maxStartedAttempts, autorun: false). */
  workerOptions?: Omit<WorkerOptions, 'connection' | 'prefix' | 'concurrency'>;
  logger?: EventLogger;
}

/** A running consumer: its worker, its dead letters, and close() (in-progress jobs finish and commit first). */
export type EventConsumer = JobWorker;

/**
 * A BullMQ worker on the consumer's queue that applies each event at most once:
 *  1. parse and validate the job data against the event registry (a broken contract is unrecoverable);
 *  2. in one transaction, insert (consumer, event id) into processed_events ON CONFLICT DO NOTHING and run the
 *     handler only if the row was inserted (applyEventOnce);
 *  3. when the job will not be retried (unrecoverable, or its last attempt), copy it to the dead-letter queue
 *     before BullMQ marks it failed, so no given-up job is missing from there.
 */
export function createEventConsumer<Tx extends SqlExecutor>(options: EventConsumerOptions<Tx>): EventConsumer {
  const { consumer, db, handlers } = options;
  const logger = options.logger ?? silentEventLogger;

  // Each job runs in a "process <type>" span continuing the trace its event carries (tracing.ts).
  const process = (job: Job): Promise<ApplyOutcome> => traceProcess(consumer, job.data, job.id, () => processJob(job));

  async function processJob(job: Job): Promise<ApplyOutcome> {
    const event = parseEvent(job.data);
    const handler = handlers[event.type] as
      | ((event: DomainEvent, tx: Tx, context: EventContext) => Promise<void>)
      | EffectFirstHandler<DomainEvent, Tx>
      | undefined;
    // Subscribed without a handler is a deployment mistake; retries cannot fix it, a deploy plus requeue can.
    if (!handler) throw new UnrecoverableError(`Consumer ${consumer} has no handler for ${event.type}`);
    const context = { job, consumer };
    const transaction = { timeout: options.transactionTimeoutMs ?? 30_000 };
    let outcome: ApplyOutcome;
    if (typeof handler === 'function') {
      outcome = await applyEventOnce(db, consumer, event, (tx) => handler(event, tx, context), transaction);
    } else if (await alreadyProcessed(db, consumer, event.id)) {
      outcome = 'duplicate';
    } else {
      const result = await handler.effect(event, context);
      outcome = await applyEventOnce(db, consumer, event, (tx) => handler.record(event, tx, result as never, context), transaction);
    }
    if (outcome === 'duplicate') logger.info({ consumer, eventId: event.id, type: event.type }, 'event already processed, skipped');
    return outcome;
  }

  // A consumer is a job worker on its queue: the same dead-letter guard, telemetry and graceful close.
  return createJobWorker({ queue: consumerQueueName(consumer), processor: process, queues: options.queues, concurrency: options.concurrency, workerOptions: options.workerOptions, logger });
}
