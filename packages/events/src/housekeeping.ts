import { loadConfig } from '@storefront/config';
import { z } from 'zod';
import { type SqlExecutor } from './database.ts';
import { type EventLogger } from './logger.ts';
import { type JobSpec, type ScheduleSpec } from './service-workers.ts';
import { createJobWorker } from './job-worker.ts';
import { eventHousekeepingQueue } from './subscriptions.ts';

/*
 * The event tables grow with every event: outbox_events keeps each published row, processed_events each
 * applied id. Neither is needed forever. A published outbox row only serves whoever investigates; an applied
 * id only has to outlive every redelivery of its event (a relay republishing after a crash: seconds; a
 * completed job requeued by hand from BullMQ's one-day retention), so a month is ample. Dead letters are
 * unaffected: an event that never applied has no processed row to lose. Unpublished outbox rows are never
 * pruned, however old (they wait for the relay, or for a person).
 *
 * Every service host that relays or consumes runs this as a BullMQ job scheduler on its own queue, so however
 * many replicas run, each database is pruned once per interval, and the runs show in the dashboards.
 */

const housekeepingEnv = z.object({
  OUTBOX_RETENTION_DAYS: z.coerce.number().positive().default(7),
  PROCESSED_EVENTS_RETENTION_DAYS: z.coerce.number().positive().default(30),
  EVENT_HOUSEKEEPING_INTERVAL_MS: z.coerce.number().int().min(1_000).default(60 * 60 * 1_000),
});

export interface EventRetention {
  outboxRetentionMs: number;
  processedRetentionMs: number;
  intervalMs: number;
}

const DAY_MS = 24 * 60 * 60 * 1_000;

/** Reads the retention settings once; a bad value is a ConfigError naming the variable. */
export function eventRetentionFromEnv(env: NodeJS.ProcessEnv, service: string): EventRetention {
  const parsed = loadConfig(service, housekeepingEnv, env);
  return {
    outboxRetentionMs: parsed.OUTBOX_RETENTION_DAYS * DAY_MS,
    processedRetentionMs: parsed.PROCESSED_EVENTS_RETENTION_DAYS * DAY_MS,
    intervalMs: parsed.EVENT_HOUSEKEEPING_INTERVAL_MS,
  };
}

/** Which of the event tables a service's database holds. */
export interface EventTables {
  outbox: boolean;
  processed: boolean;
}

export interface PrunedRows {
  outbox: number;
  processed: number;
}

/** Rows per DELETE: short statements, so the relay and the consumers never wait long behind a prune. */
const PRUNE_BATCH = 5_000;

/**
 * Deletes published outbox rows and processed-event ids older than the retention, in batches until none is
 * left. Each batch is its own statement (autocommit): a prune interrupted half-way has still done its part.
 */
export async function pruneEventTables(
  db: Pick<SqlExecutor, '$executeRaw'>,
  tables: EventTables,
  retention: Pick<EventRetention, 'outboxRetentionMs' | 'processedRetentionMs'>,
  now = new Date(),
): Promise<PrunedRows> {
  const pruned: PrunedRows = { outbox: 0, processed: 0 };
  if (tables.outbox) {
    const before = new Date(now.getTime() - retention.outboxRetentionMs).toISOString();
    pruned.outbox = await untilExhausted(() =>
      db.$executeRaw`
        DELETE FROM outbox_events WHERE id IN (
          SELECT id FROM outbox_events WHERE published_at < ${before}::timestamptz ORDER BY published_at LIMIT ${PRUNE_BATCH})`,
    );
  }
  if (tables.processed) {
    const before = new Date(now.getTime() - retention.processedRetentionMs).toISOString();
    pruned.processed = await untilExhausted(() =>
      db.$executeRaw`
        DELETE FROM processed_events WHERE (consumer, event_id) IN (
          SELECT consumer, event_id FROM processed_events WHERE processed_at < ${before}::timestamptz LIMIT ${PRUNE_BATCH})`,
    );
  }
  return pruned;
}

async function untilExhausted(deleteBatch: () => PromiseLike<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deleteBatch();
    total += deleted;
    if (deleted < PRUNE_BATCH) return total;
  }
}

/** The job worker and the schedule that prune a service's event tables (added by the service host). */
export function eventHousekeeping(
  service: string,
  db: Pick<SqlExecutor, '$executeRaw'>,
  tables: EventTables,
  retention: EventRetention,
  logger: EventLogger,
): { job: JobSpec; schedule: ScheduleSpec } {
  const queue = eventHousekeepingQueue(service);
  return {
    job: {
      queue,
      start: (queues) =>
        createJobWorker<Record<string, never>, PrunedRows>({
          queue,
          queues,
          logger,
          async processor() {
            const pruned = await pruneEventTables(db, tables, retention);
            if (pruned.outbox + pruned.processed > 0) logger.info({ service, ...pruned }, 'old event rows pruned');
            return pruned;
          },
        }),
    },
    schedule: { queue, schedulerId: `${service}-event-housekeeping`, everyMs: retention.intervalMs, jobName: 'prune' },
  };
}
