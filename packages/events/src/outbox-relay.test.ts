import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Queue } from 'bullmq';
import { openQueue } from './job-options.ts';
import pg from 'pg';
import { openDatabase } from '@storefront/prisma-tools';
import { PrismaClient } from './generated/prisma/client.ts';
import { createMetricsRegistry } from '@storefront/telemetry';
import { waitFor } from '@storefront/testing';
import {
  type DomainEvent,
  embeddedOutboxWakeups,
  eventFromOutboxRow,
  EventPublisher,
  listenerMetrics,
  OUTBOX_CHANNEL,
  OUTBOX_TABLE_DDL,
  OutboxRelay,
  type OutboxRow,
  PostgresOutboxListener,
  type SqlExecutor,
  type TransactionalDatabase,
  writeAllToOutbox,
  writeToOutbox,
} from './index.ts';
import { consumerQueueName } from './routing.ts';
import { type EventsTestEnvironment, orderPlaced, startEventsTestEnvironment } from './test-support.ts';

let env: EventsTestEnvironment;
const queues: Queue[] = [];

beforeAll(async () => {
  env = await startEventsTestEnvironment('relay');
});
afterAll(async () => {
  for (const queue of queues) await queue.obliterate({ force: true });
  await Promise.all(queues.map((queue) => queue.close()));
  await env?.close();
});
beforeEach(async () => {
  await env.prisma.$executeRawUnsafe('TRUNCATE outbox_events, processed_events, effects');
});

function queueOf(consumer: string): Queue {
  const queue = openQueue(consumerQueueName(consumer), env.queues);
  queues.push(queue);
  return queue;
}

async function writeEvents(count: number): Promise<DomainEvent[]> {
  const base = Date.now();
  const events = Array.from({ length: count }, (_, i) => orderPlaced({ occurredAt: new Date(base + i) }));
  await env.prisma.$transaction(async (tx) => {
    for (const event of events) await writeToOutbox(tx, event);
  });
  return events;
}

async function unpublished(): Promise<number> {
  const [row] = await env.prisma.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL`;
  return row!.n;
}

/** Counts EventPublisher.publish calls per event id while `work` runs (a duplicate publish shows as 2). */
async function countPublishes(work: () => Promise<void>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const original = EventPublisher.prototype.publish;
  EventPublisher.prototype.publish = async function (this: EventPublisher, event: DomainEvent) {
    counts.set(event.id, (counts.get(event.id) ?? 0) + 1);
    return original.call(this, event);
  };
  try {
    await work();
  } finally {
    EventPublisher.prototype.publish = original;
  }
  return counts;
}

describe('writeToOutbox', () => {
  it('commits the event with the transaction, and not without it', async () => {
    const kept = orderPlaced();
    await env.prisma.$transaction(async (tx) => writeToOutbox(tx, kept));
    await expect(
      env.prisma.$transaction(async (tx) => {
        await writeToOutbox(tx, orderPlaced());
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    const rows = await env.prisma.$queryRaw<Array<{ id: string; payload: unknown; correlation_id: string }>>`SELECT id::text, payload, correlation_id FROM outbox_events`;
    expect(rows).toEqual([{ id: kept.id, payload: kept.payload, correlation_id: kept.correlationId }]);
  });

  it('refuses an event that breaks its contract', async () => {
    const event = orderPlaced();
    await expect(env.prisma.$transaction(async (tx) => writeToOutbox(tx, { ...event, payload: { orderId: 'x' } }))).rejects.toThrow(/Invalid OrderPlaced v1 payload/);
    expect(await unpublished()).toBe(0);
  });
});

describe('writeAllToOutbox', () => {
  it('records several events in one statement, each exactly as writeToOutbox would, and refuses a batch with an invalid one', async () => {
    const events = [orderPlaced(), orderPlaced(), { ...orderPlaced(), traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }];
    await env.prisma.$transaction(async (tx) => writeAllToOutbox(tx, events));
    const rows = await env.prisma.$queryRaw<OutboxRow[]>`
      SELECT id::text AS id, type, version, source, aggregate_id, correlation_id, trace_context, payload, occurred_at, attempts
      FROM outbox_events WHERE id = ANY(${events.map((event) => event.id)}::uuid[])`;
    const read = rows.map((row) => eventFromOutboxRow(row)).sort((a, b) => a.id.localeCompare(b.id));
    expect(read).toEqual(events.map((event) => ({ traceparent: null, ...event })).sort((a, b) => a.id.localeCompare(b.id)));

    const before = await unpublished();
    await expect(env.prisma.$transaction(async (tx) => writeAllToOutbox(tx, [orderPlaced(), { ...orderPlaced(), payload: { orderId: 'x' } }]))).rejects.toThrow(
      /Invalid OrderPlaced v1 payload/,
    );
    expect(await unpublished()).toBe(before);
  });
});

describe('OutboxRelay', () => {
  it('publishes each event to every subscribed consumer queue with jobId = event id, then marks it published', async () => {
    const events = await writeEvents(3);
    const relay = new OutboxRelay({ db: env.prisma, queues: env.queues, subscriptions: { 'relay-a': ['OrderPlaced'], 'relay-b': ['OrderPlaced'], 'relay-c': ['UserRegistered'] } });
    try {
      expect(await relay.relayOnce()).toEqual({ published: 3, failed: 0 });
      expect(await relay.relayOnce()).toEqual({ published: 0, failed: 0 });
    } finally {
      await relay.stop();
    }
    expect(await unpublished()).toBe(0);
    const attempts = await env.prisma.$queryRaw<Array<{ attempts: number }>>`SELECT attempts FROM outbox_events`;
    expect(attempts.map((row) => row.attempts)).toEqual([1, 1, 1]);
    for (const consumer of ['relay-a', 'relay-b']) {
      const jobs = await queueOf(consumer).getJobs(['waiting'], 0, -1, true);
      expect(jobs.map((job) => job.id)).toEqual(events.map((event) => event.id));
      expect(jobs[0]!.name).toBe('OrderPlaced');
      expect(jobs[0]!.data).toEqual(events[0]);
      expect(jobs[0]!.opts.attempts).toBe(5);
    }
    expect(await queueOf('relay-c').count()).toBe(0);
  });

  it('two relays polling at once over 200 rows publish each event exactly once', async () => {
    const events = await writeEvents(200);
    const subscriptions = { 'relay-concurrent': ['OrderPlaced'] } as const;
    const relays = [0, 1].map(() => new OutboxRelay({ db: env.prisma, queues: env.queues, subscriptions, batchSize: 10, idleDelayMs: { min: 10, max: 20 } }));
    const counts = await countPublishes(async () => {
      relays.forEach((relay) => relay.start());
      const deadline = Date.now() + 20_000;
      while ((await unpublished()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      await Promise.all(relays.map((relay) => relay.stop()));
    });
    expect(await unpublished()).toBe(0);
    expect(counts.size).toBe(200);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const jobs = await queueOf('relay-concurrent').getJobs(['waiting'], 0, -1);
    expect(jobs).toHaveLength(200);
    expect(new Set(jobs.map((job) => job.id))).toEqual(new Set(events.map((event) => event.id)));
  });

  it('a crash after publishing and before marking republishes the row on the next batch', async () => {
    const [event] = await writeEvents(1);
    // The relay's transaction dies where a process crash would hurt most: jobs added, UPDATE not yet run.
    const crashing: TransactionalDatabase = {
      $transaction: (fn, options) =>
        env.prisma.$transaction(async (tx) => {
          const wrapped: SqlExecutor = {
            $queryRaw: (query, ...values) => tx.$queryRaw(query, ...values),
            $executeRaw: (query, ...values) => {
              if (query.join('?').includes('published_at = now()')) throw new Error('crashed before marking');
              return tx.$executeRaw(query, ...values);
            },
          };
          return fn(wrapped);
        }, options),
    };
    const subscriptions = { 'relay-crash': ['OrderPlaced'] } as const;
    const crashingRelay = new OutboxRelay({ db: crashing, queues: env.queues, subscriptions });
    const relay = new OutboxRelay({ db: env.prisma, queues: env.queues, subscriptions });
    try {
      const counts = await countPublishes(async () => {
        await expect(crashingRelay.relayOnce()).rejects.toThrow('crashed before marking');
        expect(await unpublished()).toBe(1); // rolled back: still to publish
        expect(await relay.relayOnce()).toEqual({ published: 1, failed: 0 });
      });
      expect(counts.get(event!.id)).toBe(2);
    } finally {
      await Promise.all([crashingRelay.stop(), relay.stop()]);
    }
    expect(await unpublished()).toBe(0);
    // BullMQ absorbed the second publish: the job id was still there.
    expect(await queueOf('relay-crash').getJobCounts('waiting')).toEqual({ waiting: 1 });
  });

  it('skips a row that cannot be published, keeps publishing the others, and counts its attempts', async () => {
    const [good] = await writeEvents(1);
    // A row written before its contract changed (here: forged, bypassing writeToOutbox's validation).
    await env.prisma.$executeRaw`
      INSERT INTO outbox_events (id, type, version, source, aggregate_id, payload, occurred_at)
      VALUES (gen_random_uuid(), 'OrderPlaced', 9, 'orders', 'x', '{}'::jsonb, now() - interval '1 minute')`;
    const relay = new OutboxRelay({ db: env.prisma, queues: env.queues, subscriptions: { 'relay-poison': ['OrderPlaced'] }, maxAttempts: 2 });
    try {
      expect(await relay.relayOnce()).toEqual({ published: 1, failed: 1 });
      expect(await relay.relayOnce()).toEqual({ published: 0, failed: 1 });
      expect(await relay.relayOnce()).toEqual({ published: 0, failed: 0 }); // parked after maxAttempts
    } finally {
      await relay.stop();
    }
    const jobs = await queueOf('relay-poison').getJobs(['waiting']);
    expect(jobs.map((job) => job.id)).toEqual([good!.id]);
  });
});

describe('publishing on commit (LISTEN/NOTIFY)', () => {
  /** A relay that would not poll again within any test's time: whatever it publishes after its first poll, it was woken for. */
  const sleepy = { min: 600_000, max: 600_000 };
  let batches = 0;
  const onBatch = () => {
    batches += 1;
  };
  /**
   * Waits for the relay's first poll and the one the listener's connect asks for to be over (no batch for
   * 300 ms), so a row written next can only reach the relay through a new wake-up.
   */
  async function firstPoll() {
    await waitFor(() => batches > 0, 'the first poll');
    for (let seen = -1; seen !== batches; ) {
      seen = batches;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
  beforeEach(() => {
    batches = 0;
  });

  function listenerStates(options: { reconnectDelayMs?: { min: number; max: number }; onState?: (state: 'listening' | 'disconnected') => void } = {}) {
    const states: string[] = [];
    const listener = new PostgresOutboxListener({
      connectionString: env.database.url,
      reconnectDelayMs: options.reconnectDelayMs,
      onState: (state) => {
        states.push(state);
        options.onState?.(state);
      },
    });
    return { listener, states };
  }

  it('notifies the outbox channel once per committing transaction, and never for one that rolls back', async () => {
    const client = new pg.Client({ connectionString: env.database.url });
    await client.connect();
    const heard: string[] = [];
    client.on('notification', (message) => heard.push(message.channel));
    try {
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      await expect(
        env.prisma.$transaction(async (tx) => {
          await writeToOutbox(tx, orderPlaced());
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      await env.prisma.$transaction(async (tx) => {
        await writeToOutbox(tx, orderPlaced());
        await writeAllToOutbox(tx, [orderPlaced(), orderPlaced()]);
      });
      // Notifications arrive in commit order: once the committed one is here, the rolled-back one never will be.
      await waitFor(() => heard.length > 0, 'the notification');
      await env.prisma.$transaction(async (tx) => writeAllToOutbox(tx, [orderPlaced()]));
      await waitFor(() => heard.length > 1, 'the second notification');
      expect(heard).toEqual([OUTBOX_CHANNEL, OUTBOX_CHANNEL]);
    } finally {
      await client.end();
    }
  });

  it('publishes a committed row at once instead of at its next poll', async () => {
    const { listener, states } = listenerStates();
    const relay = new OutboxRelay({ db: env.prisma, queues: env.queues, subscriptions: { 'relay-listen': ['OrderPlaced'] }, idleDelayMs: sleepy, wakeups: listener, onBatch });
    relay.start();
    try {
      await waitFor(() => states.includes('listening'), 'the listener');
      await firstPoll();
      const [event] = await writeEvents(1);
      await waitFor(async () => (await unpublished()) === 0, 'the woken relay');
      expect((await queueOf('relay-listen').getJobs(['waiting'])).map((job) => job.id)).toEqual([event!.id]);
    } finally {
      await relay.stop();
    }
    expect(listener.listening).toBe(false);
  });

  it('reconnects when its connection is killed and publishes what committed while it was away', async () => {
    const registry = createMetricsRegistry('events-test', { processMetrics: false });
    const connected = async () => /outbox_listener_connected\{[^}]*source="orders"[^}]*\} (\d)/.exec(await registry.getSingleMetricAsString('outbox_listener_connected'))?.[1];
    const { listener, states } = listenerStates({ reconnectDelayMs: { min: 1_000, max: 1_000 }, onState: listenerMetrics(registry, 'orders') });
    const relay = new OutboxRelay({ db: env.prisma, queues: env.queues, subscriptions: { 'relay-reconnect': ['OrderPlaced'] }, idleDelayMs: sleepy, wakeups: listener, onBatch });
    relay.start();
    try {
      await waitFor(() => states.includes('listening'), 'the listener');
      await firstPoll();
      await env.prisma.$queryRaw`
        SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'outbox-listener'`;
      await waitFor(() => states.includes('disconnected'), 'the listener to notice');
      expect(await connected()).toBe('0');
      // Committed with nobody listening: its notification is lost, the reconnect's wake-up must cover it.
      const [missed] = await writeEvents(1);
      await waitFor(async () => (await unpublished()) === 0, 'the relay woken by the reconnect');
      expect(states).toEqual(['listening', 'disconnected', 'listening']);
      expect(await connected()).toBe('1');
      const [later] = await writeEvents(1);
      await waitFor(async () => (await unpublished()) === 0, 'the relay woken by a notification on the new connection');
      const jobs = await queueOf('relay-reconnect').getJobs(['waiting'], 0, -1, true);
      expect(jobs.map((job) => job.id)).toEqual([missed!.id, later!.id]);
    } finally {
      await relay.stop();
    }
  });

  it('keeps its backoff while batches fail instead of retrying on every commit', async () => {
    const delayMs = 1_000;
    const relay = new OutboxRelay({
      db: env.prisma,
      queues: env.queues,
      subscriptions: { 'relay-failing': ['OrderPlaced'] },
      idleDelayMs: { min: delayMs, max: delayMs },
      wakeups: listenerStates().listener,
      maxAttempts: 1_000,
      onBatch,
    });
    // Rows no publish can take (a contract that changed since they were written), each announced on commit.
    const poisoned = () =>
      env.prisma.$transaction(async (tx) => {
        await tx.$executeRaw`
          INSERT INTO outbox_events (id, type, version, source, aggregate_id, payload, occurred_at)
          VALUES (gen_random_uuid(), 'OrderPlaced', 9, 'orders', 'x', '{}'::jsonb, now())`;
        await tx.$executeRaw`SELECT pg_notify(${OUTBOX_CHANNEL}, '')`;
      });
    await poisoned();
    relay.start();
    const started = performance.now();
    try {
      await firstPoll();
      for (let i = 0; i < 30; i += 1) await poisoned();
      await new Promise((resolve) => setTimeout(resolve, 200)); // the last notifications arrive
    } finally {
      await relay.stop();
    }
    const elapsed = performance.now() - started;
    const [first] = await env.prisma.$queryRaw<Array<{ attempts: number }>>`SELECT attempts FROM outbox_events ORDER BY occurred_at LIMIT 1`;
    // One try per poll delay (plus the start and the listener's connect), whatever the commits asked for.
    expect(first!.attempts).toBeLessThanOrEqual(Math.ceil(elapsed / delayMs) + 2);
  });

  it('is woken in-process by wake(), for rows written without a notification', async () => {
    const relay = new OutboxRelay({ db: env.prisma, queues: env.queues, subscriptions: { 'relay-nudge': ['OrderPlaced'] }, idleDelayMs: sleepy, onBatch });
    relay.start();
    try {
      await firstPoll();
      const [event] = await env.prisma.$transaction(async (tx) => {
        const written = orderPlaced();
        // As a person replaying by hand would: plain SQL, no pg_notify.
        await tx.$executeRaw`
          INSERT INTO outbox_events (id, type, version, source, aggregate_id, correlation_id, payload, occurred_at)
          VALUES (${written.id}::uuid, ${written.type}, ${written.version}, ${written.source}, ${written.aggregateId}, ${written.correlationId},
                  ${JSON.stringify(written.payload)}::jsonb, ${written.occurredAt}::timestamptz)`;
        return [written];
      });
      relay.wake();
      await waitFor(async () => (await unpublished()) === 0, 'the nudged relay');
      expect((await queueOf('relay-nudge').getJobs(['waiting'])).map((job) => job.id)).toEqual([event!.id]);
    } finally {
      await relay.stop();
    }
  });
});

describe('publishing on commit on the embedded database', () => {
  it('hears its own commits through PGlite and publishes a committed row at once', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'relay-pglite-'));
    const database = await openDatabase({ target: { kind: 'pglite', dataDir }, migrationsDir: '', migrate: false });
    const prisma = new PrismaClient({ adapter: database.adapter });
    try {
      for (const statement of OUTBOX_TABLE_DDL.split(';').filter((s) => s.trim())) await prisma.$executeRawUnsafe(statement);
      if (database.notifications.kind !== 'embedded') throw new Error('expected the embedded database');
      let batches = 0;
      const relay = new OutboxRelay({
        db: prisma,
        queues: env.queues,
        subscriptions: { 'relay-embedded': ['OrderPlaced'] },
        idleDelayMs: { min: 600_000, max: 600_000 },
        wakeups: embeddedOutboxWakeups(database.notifications.listen),
        onBatch: () => {
          batches += 1;
        },
      });
      relay.start();
      try {
        // The first poll and the one asked for once listening, then quiet: only a new wake-up can follow.
        await waitFor(() => batches > 0, 'the first poll');
        for (let seen = -1; seen !== batches; ) {
          seen = batches;
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
        const event = orderPlaced();
        await prisma.$transaction(async (tx) => writeToOutbox(tx, event));
        await waitFor(async () => (await queueOf('relay-embedded').getJobs(['waiting'])).length === 1, 'the woken relay');
        expect((await queueOf('relay-embedded').getJobs(['waiting']))[0]!.id).toBe(event.id);
      } finally {
        await relay.stop();
      }
    } finally {
      await prisma.$disconnect();
      await database.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000); // creating an embedded database takes seconds, more on a busy machine
});
