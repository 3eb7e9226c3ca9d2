/*
 * Shared fixtures of this package's tests: a fresh Postgres database with the outbox and processed_events
 * tables, a real Prisma client on it, and a unique BullMQ prefix on the local Redis that is wiped afterwards.
 *
 * The Prisma client is the orders subgraph's generated one: this package has no schema of its own, and raw
 * SQL through any generated client exercises exactly what subgraphs will run ($transaction, $queryRaw,
 * $executeRaw over @prisma/adapter-pg). Its models are unused; the test database has only our tables.
 */
import { randomUUID } from 'node:crypto';
import { createTestDatabase, openDatabase, type ServiceDatabase, type TestDatabase } from '@storefront/prisma-tools';
import { Redis } from 'ioredis';
import { PrismaClient } from '../../../subgraphs/orders/src/generated/prisma/client.ts';
import { type DomainEvent, defineEvent } from './contracts/registry.ts';
import { type QueueConnection } from './job-options.ts';
import { OUTBOX_TABLE_DDL } from './outbox.ts';
import { PROCESSED_EVENTS_TABLE_DDL } from './processed-events.ts';

export const REDIS = { host: process.env.TEST_REDIS_HOST ?? '127.0.0.1', port: Number(process.env.TEST_REDIS_PORT ?? 6379), maxRetriesPerRequest: null } as const;

/** A table where test handlers record their effect; no unique key, so a second effect shows as a second row. */
const EFFECTS_DDL = `CREATE TABLE effects (consumer text NOT NULL, event_id uuid NOT NULL, at timestamptz NOT NULL DEFAULT now())`;

export interface EventsTestEnvironment {
  prisma: PrismaClient;
  queues: QueueConnection;
  database: TestDatabase;
  close(): Promise<void>;
}

export async function startEventsTestEnvironment(label: string): Promise<EventsTestEnvironment> {
  const database = await createTestDatabase(`events_${label}`);
  let service: ServiceDatabase | undefined;
  try {
    service = await openDatabase({ target: { kind: 'postgres', url: database.url }, migrationsDir: '', migrate: false, poolSize: 10 });
    const prisma = new PrismaClient({ adapter: service.adapter });
    for (const ddl of [OUTBOX_TABLE_DDL, PROCESSED_EVENTS_TABLE_DDL, EFFECTS_DDL]) {
      for (const statement of ddl.split(';').filter((s) => s.trim())) await prisma.$executeRawUnsafe(statement);
    }
    const prefix = `test-events:${randomUUID()}`;
    const opened = service;
    return {
      prisma,
      queues: { connection: { ...REDIS }, prefix },
      database,
      async close() {
        await prisma.$disconnect();
        await opened.close();
        await database.drop();
        await deleteRedisKeys(prefix);
      },
    };
  } catch (error) {
    await service?.close();
    await database.drop();
    throw error;
  }
}

/** Removes every key under a test prefix (queues obliterated or not, dead letters included). */
async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis({ host: REDIS.host, port: REDIS.port });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export function orderPlaced(overrides: { id?: string; occurredAt?: Date } = {}): DomainEvent<'OrderPlaced', 1> {
  const orderId = randomUUID();
  return defineEvent({
    type: 'OrderPlaced',
    version: 1,
    source: 'orders',
    aggregateId: orderId,
    correlationId: `req-${randomUUID()}`,
    payload: {
      orderId,
      userId: randomUUID(),
      items: [{ purchasableId: randomUUID(), quantity: 2, unitPrice: { amount: 1_250, currency: 'EUR' } }],
      total: { amount: 2_500, currency: 'EUR' },
    },
    ...overrides,
  });
}

/** Polls `check` until it returns true, or fails after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
