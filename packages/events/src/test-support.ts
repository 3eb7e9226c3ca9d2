/*
 * Shared fixtures of this package's tests: a fresh Postgres database with the outbox and processed_events
 * tables, a real Prisma client on it, and a unique BullMQ prefix on the local Redis that is wiped afterwards.
 *
 * The Prisma client is generated from this package's prisma/schema.prisma (the event tables alone): raw SQL
 * through it exercises exactly what subgraphs run ($transaction, $queryRaw, $executeRaw over @prisma/adapter-pg).
 */
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@storefront/testing';
import { openDatabase, type ServiceDatabase } from '@storefront/prisma-tools';
import { PrismaClient } from './generated/prisma/client.ts';
import { type DomainEvent, defineEvent } from './contracts/registry.ts';
import { type QueueConnection } from './job-options.ts';
import { deleteQueueKeys, testQueueConnection } from './testing/index.ts';
import { OUTBOX_TABLE_DDL } from './outbox.ts';
import { PROCESSED_EVENTS_TABLE_DDL } from './processed-events.ts';


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
    const opened = service;
    const queues = testQueueConnection('events');
    return {
      prisma,
      queues,
      database,
      async close() {
        await prisma.$disconnect();
        await opened.close();
        await database.drop();
        await deleteQueueKeys(queues.prefix);
      },
    };
  } catch (error) {
    await service?.close();
    await database.drop();
    throw error;
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
