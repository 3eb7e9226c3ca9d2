import { type DomainEvent } from './contracts/registry.ts';
import { type SqlExecutor, type TransactionalDatabase, type TransactionOptions } from './database.ts';

/**
 * Which events a consumer has already applied, in the consumer's own database. Delivery is at-least-once (a
 * relay republishes after a crash, BullMQ retries a job whose worker died), so every consumer records each
 * event id in the transaction that applies its effect: the effect and the record commit together or not at
 * all, and a second delivery finds the record and does nothing. `consumer` is in the key because one
 * database may host several consumers of the same event.
 *
 * Rows are deleted once older than any redelivery can be (PROCESSED_EVENTS_RETENTION_DAYS, default 30) by
 * the service host's scheduled prune (housekeeping.ts), which the processed_at index serves.
 */
export const PROCESSED_EVENTS_TABLE_DDL = `CREATE TABLE IF NOT EXISTS processed_events (
  consumer     text        NOT NULL,
  event_id     uuid        NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
CREATE INDEX IF NOT EXISTS processed_events_processed_at_idx ON processed_events (processed_at);`;

/** The same table as a Prisma model, for a subgraph's schema.prisma (see README.md). */
export const PROCESSED_EVENTS_PRISMA_MODEL = `/// Events this database's consumers have applied (packages/events): the idempotency record.
model ProcessedEvent {
  consumer    String
  eventId     String   @map("event_id") @db.Uuid
  processedAt DateTime @default(now()) @map("processed_at") @db.Timestamptz(3)

  @@id([consumer, eventId])
  @@index([processedAt])
  @@map("processed_events")
}`;

export type ApplyOutcome = 'applied' | 'duplicate';

/**
 * Applies `event` at most once for `consumer`: in one transaction, records the event id and, only if it was
 * not recorded before, runs `apply` with the same transaction client. A concurrent second delivery blocks on
 * the primary key until the first commits (then finds the row: 'duplicate') or rolls back (then applies).
 * If `apply` throws, nothing commits — neither the effect nor the record — and a retry starts clean.
 */
export async function applyEventOnce<Tx extends SqlExecutor>(
  db: TransactionalDatabase<Tx>,
  consumer: string,
  event: DomainEvent,
  apply: (tx: Tx) => Promise<void>,
  options?: TransactionOptions,
): Promise<ApplyOutcome> {
  return db.$transaction(async (tx) => {
    const inserted = await tx.$executeRaw`
      INSERT INTO processed_events (consumer, event_id) VALUES (${consumer}, ${event.id}::uuid)
      ON CONFLICT DO NOTHING`;
    if (inserted === 0) return 'duplicate';
    await apply(tx);
    return 'applied';
  }, options);
}

/** Whether `consumer` has applied the event: a cheap check before an effect that runs outside the transaction. */
export async function alreadyProcessed(db: Pick<SqlExecutor, '$queryRaw'>, consumer: string, eventId: string): Promise<boolean> {
  const rows = await db.$queryRaw<unknown[]>`SELECT 1 FROM processed_events WHERE consumer = ${consumer} AND event_id = ${eventId}::uuid`;
  return rows.length > 0;
}
