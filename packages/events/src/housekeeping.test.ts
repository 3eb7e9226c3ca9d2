import { randomUUID } from 'node:crypto';
import { ConfigError } from '@storefront/config';
import { waitFor } from '@storefront/testing';
import { openQueue } from './job-options.ts';
import { eventRetentionFromEnv, pruneEventTables } from './housekeeping.ts';
import { silentEventLogger } from './logger.ts';
import { defineConsumer, eventHousekeepingQueue, JOB_QUEUES, startServiceWorkers, type RunningServiceWorkers } from './index.ts';
import { type EventsTestEnvironment, startEventsTestEnvironment } from './test-support.ts';

let env: EventsTestEnvironment;
beforeAll(async () => {
  env = await startEventsTestEnvironment('housekeeping');
});
afterAll(async () => {
  await env?.close();
});
beforeEach(async () => {
  await env.prisma.$executeRawUnsafe('TRUNCATE outbox_events, processed_events');
});

const DAY_MS = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS).toISOString();

/** `count` outbox rows occurred and (unless `publishedDaysAgo` is null) published that many days ago. */
async function outboxRows(count: number, publishedDaysAgo: number | null): Promise<void> {
  const publishedAt = publishedDaysAgo === null ? null : daysAgo(publishedDaysAgo);
  await env.prisma.$executeRaw`
    INSERT INTO outbox_events (id, type, version, source, aggregate_id, payload, occurred_at, published_at)
    SELECT gen_random_uuid(), 'OrderPlaced', 1, 'orders', 'x', '{}'::jsonb, ${daysAgo(60)}::timestamptz, ${publishedAt}::timestamptz
    FROM generate_series(1, ${count})`;
}

async function processedRows(count: number, processedDaysAgo: number): Promise<void> {
  await env.prisma.$executeRaw`
    INSERT INTO processed_events (consumer, event_id, processed_at)
    SELECT 'audit', gen_random_uuid(), ${daysAgo(processedDaysAgo)}::timestamptz FROM generate_series(1, ${count})`;
}

async function remaining() {
  const [row] = await env.prisma.$queryRaw<Array<{ published: number; unpublished: number; processed: number }>>`
    SELECT (SELECT count(*)::int FROM outbox_events WHERE published_at IS NOT NULL) AS published,
           (SELECT count(*)::int FROM outbox_events WHERE published_at IS NULL) AS unpublished,
           (SELECT count(*)::int FROM processed_events) AS processed`;
  return row!;
}

const retention = { outboxRetentionMs: 7 * DAY_MS, processedRetentionMs: 30 * DAY_MS };

describe('pruneEventTables', () => {
  it('deletes published outbox rows and processed ids past their retention, in batches, and nothing else', async () => {
    await outboxRows(12_345, 8); // more than two batches
    await outboxRows(20, 6);
    await outboxRows(3, null); // however old, still waiting for the relay (or a person)
    await processedRows(7_000, 31);
    await processedRows(15, 29);

    expect(await pruneEventTables(env.prisma, { outbox: true, processed: true }, retention)).toEqual({ outbox: 12_345, processed: 7_000 });
    expect(await remaining()).toEqual({ published: 20, unpublished: 3, processed: 15 });
    expect(await pruneEventTables(env.prisma, { outbox: true, processed: true }, retention)).toEqual({ outbox: 0, processed: 0 });
  });

  it('touches only the tables the service has', async () => {
    await outboxRows(5, 8);
    await processedRows(5, 31);
    expect(await pruneEventTables(env.prisma, { outbox: false, processed: true }, retention)).toEqual({ outbox: 0, processed: 5 });
    expect(await remaining()).toEqual({ published: 5, unpublished: 0, processed: 0 });
  });
});

describe('eventRetentionFromEnv', () => {
  it('defaults to a week of published outbox rows and a month of processed ids, pruned hourly', () => {
    expect(eventRetentionFromEnv({}, 'orders')).toEqual({ outboxRetentionMs: 7 * DAY_MS, processedRetentionMs: 30 * DAY_MS, intervalMs: 3_600_000 });
    expect(eventRetentionFromEnv({ OUTBOX_RETENTION_DAYS: '0.5' }, 'orders').outboxRetentionMs).toBe(DAY_MS / 2);
  });

  it('refuses a bad value, naming the variable', () => {
    expect(() => eventRetentionFromEnv({ PROCESSED_EVENTS_RETENTION_DAYS: '-1' }, 'orders')).toThrow(ConfigError);
    expect(() => eventRetentionFromEnv({ PROCESSED_EVENTS_RETENTION_DAYS: 'soon' }, 'orders')).toThrow(/PROCESSED_EVENTS_RETENTION_DAYS/);
  });
});

describe('the service host', () => {
  let workers: RunningServiceWorkers | undefined;
  afterEach(async () => {
    await workers?.close();
    workers = undefined;
  });

  it('schedules the prune of its event tables on its own queue, listed with the job queues', async () => {
    const service = `housekeeping-${randomUUID().slice(0, 8)}`;
    await outboxRows(10, 8);
    await processedRows(10, 31);
    workers = await startServiceWorkers(
      service,
      () => ({ consumers: [defineConsumer({ consumer: 'audit', db: env.prisma, handlers: {} })], jobs: [], schedules: [] }),
      { prisma: env.prisma, queues: env.queues, logger: silentEventLogger, env: { EVENT_HOUSEKEEPING_INTERVAL_MS: '1000' } },
    );
    expect(workers.queueNames).toContain(eventHousekeepingQueue(service));
    await waitFor(async () => JSON.stringify(await remaining()) === JSON.stringify({ published: 0, unpublished: 0, processed: 0 }), 'the scheduled prune');

    const queue = openQueue(eventHousekeepingQueue(service), env.queues);
    try {
      expect(await queue.getJobSchedulers()).toEqual([expect.objectContaining({ key: `${service}-event-housekeeping`, every: 1000 })]);
    } finally {
      await queue.close();
    }
    expect(JOB_QUEUES).toEqual(expect.arrayContaining(['orders', 'inventory', 'payments', 'catalog', 'notifications', 'accounts', 'reviews'].map(eventHousekeepingQueue)));
  });
});
