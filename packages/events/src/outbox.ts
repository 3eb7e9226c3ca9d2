import { type EventEnvelope } from './contracts/envelope.ts';
import { type DomainEvent, parseEvent } from './contracts/registry.ts';
import { type SqlExecutor } from './database.ts';

/**
 * The transactional outbox: a subgraph writes its events into its own database, in the transaction that
 * changes its state, so "the order exists" and "OrderPlaced will be published" commit or roll back together
 * (publishing to Redis inside the transaction could announce an order that then rolls back; publishing
 * after commit could lose the event in a crash). OutboxRelay later moves rows to BullMQ.
 *
 * published_at is null until the relay has handed the event to every consumer queue; attempts counts the
 * relay's tries (a row that keeps failing stops being picked after OutboxRelay's maxAttempts and waits for a
 * person). The index on (published_at, occurred_at, id) serves the relay's `published_at IS NULL ORDER BY
 * occurred_at, id` however many published rows accumulate; it is a plain index (not partial) so the Prisma
 * model below can declare it and migrations never drift.
 */
export const OUTBOX_TABLE_DDL = `CREATE TABLE IF NOT EXISTS outbox_events (
  id             uuid        PRIMARY KEY,
  type           text        NOT NULL,
  version        integer     NOT NULL,
  source         text        NOT NULL,
  aggregate_id   text        NOT NULL,
  correlation_id text,
  trace_context  text,
  payload        jsonb       NOT NULL,
  occurred_at    timestamptz NOT NULL,
  published_at   timestamptz,
  attempts       integer     NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_events_unpublished_idx ON outbox_events (published_at, occurred_at, id);`;

/**
 * The channel writeToOutbox notifies in the writing transaction. Postgres delivers a notification only when
 * that transaction commits (never for a rollback) and folds identical ones of one transaction into one, so a
 * relay LISTENing here (outbox-listener.ts) hears of each committed batch of rows at once, whatever wrote them.
 */
export const OUTBOX_CHANNEL = 'outbox_events';

/** The same table as a Prisma model, for a subgraph's schema.prisma (see README.md). */
export const OUTBOX_PRISMA_MODEL = `/// Events waiting for the relay (packages/events): written in the transaction that made the change.
model OutboxEvent {
  id            String    @id @db.Uuid
  type          String
  version       Int
  source        String
  aggregateId   String    @map("aggregate_id")
  correlationId String?   @map("correlation_id")
  traceContext  String?   @map("trace_context")
  payload       Json
  occurredAt    DateTime  @map("occurred_at") @db.Timestamptz(3)
  publishedAt   DateTime? @map("published_at") @db.Timestamptz(3)
  attempts      Int       @default(0)

  @@index([publishedAt, occurredAt, id], map: "outbox_events_unpublished_idx")
  @@map("outbox_events")
}`;

/**
 * Records `event` in the outbox through `tx`, which must be the transaction client that makes the state
 * change (`prisma.$transaction(async (tx) => { …; await writeToOutbox(tx, event) })`). Validates first, so a
 * contract violation fails the producer's transaction rather than a consumer later.
 */
export async function writeToOutbox(tx: Pick<SqlExecutor, '$executeRaw'>, event: EventEnvelope): Promise<void> {
  const valid = parseEvent(event);
  // Timestamps and JSON travel as text and are cast by Postgres: identical under every Prisma driver adapter.
  // The notification rides in the same statement (no extra round trip) and so in the same transaction.
  await tx.$executeRaw`
    WITH written AS (
      INSERT INTO outbox_events (id, type, version, source, aggregate_id, correlation_id, trace_context, payload, occurred_at)
      VALUES (${valid.id}::uuid, ${valid.type}, ${valid.version}, ${valid.source}, ${valid.aggregateId},
              ${valid.correlationId}, ${valid.traceparent ?? null}, ${JSON.stringify(valid.payload)}::jsonb, ${valid.occurredAt}::timestamptz)
      RETURNING 1)
    SELECT pg_notify(${OUTBOX_CHANNEL}, '') FROM written`;
}

/**
 * Records several events in one statement (a sweep announcing hundreds of expiries), with the same validation
 * and transaction rule as writeToOutbox. Columns travel as text arrays and are cast by Postgres.
 */
export async function writeAllToOutbox(tx: Pick<SqlExecutor, '$executeRaw'>, events: readonly EventEnvelope[]): Promise<void> {
  if (events.length === 0) return;
  const valid = events.map((event) => parseEvent(event));
  const column = (pick: (event: DomainEvent) => string | number | null | undefined) =>
    valid.map((event) => {
      const value = pick(event);
      return value === null || value === undefined ? null : String(value);
    });
  await tx.$executeRaw`
    WITH written AS (
      INSERT INTO outbox_events (id, type, version, source, aggregate_id, correlation_id, trace_context, payload, occurred_at)
      SELECT id::uuid, type, version::int, source, aggregate_id, correlation_id, trace_context, payload::jsonb, occurred_at::timestamptz
      FROM unnest(${column((e) => e.id)}::text[], ${column((e) => e.type)}::text[], ${column((e) => e.version)}::text[],
                  ${column((e) => e.source)}::text[], ${column((e) => e.aggregateId)}::text[], ${column((e) => e.correlationId)}::text[],
                  ${column((e) => e.traceparent)}::text[], ${column((e) => JSON.stringify(e.payload))}::text[], ${column((e) => e.occurredAt)}::text[])
        AS rows (id, type, version, source, aggregate_id, correlation_id, trace_context, payload, occurred_at)
      RETURNING 1)
    SELECT pg_notify(${OUTBOX_CHANNEL}, '') FROM written LIMIT 1`;
}

/** An outbox row as the relay reads it. */
export interface OutboxRow {
  id: string;
  type: string;
  version: number;
  source: string;
  aggregate_id: string;
  correlation_id: string | null;
  trace_context: string | null;
  payload: unknown;
  occurred_at: Date | string;
  attempts: number;
}

/** The event an outbox row holds, validated again: the registry may have changed since it was written. */
export function eventFromOutboxRow(row: OutboxRow): DomainEvent {
  return parseEvent({
    id: row.id,
    type: row.type,
    version: row.version,
    source: row.source,
    aggregateId: row.aggregate_id,
    correlationId: row.correlation_id,
    traceparent: row.trace_context,
    payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload,
    occurredAt: row.occurred_at instanceof Date ? row.occurred_at.toISOString() : new Date(row.occurred_at).toISOString(),
  });
}
