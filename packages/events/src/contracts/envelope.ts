import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';

/**
 * The part of every event that does not depend on its type. Consumers route and de-duplicate on it without
 * knowing the payload: `id` is the de-duplication key end to end (outbox primary key, BullMQ jobId,
 * processed_events key), `aggregateId` says which entity changed (ordering and debugging), `correlationId`
 * is the request id of the GraphQL request that caused it, so a log search follows a request across
 * subgraphs and workers. Null when no request caused it (a scheduled job, a seed).
 */
export const eventEnvelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().min(1),
  version: z.number().int().positive(),
  // ISO 8601 with offset: events cross process boundaries as JSON, where a Date would not survive.
  occurredAt: z.iso.datetime({ offset: true }),
  source: z.string().min(1),
  aggregateId: z.string().min(1),
  correlationId: z.string().min(1).nullable(),
  // W3C trace context of the span that produced the event, so the job it causes continues that trace.
  // Optional: events written before it existed, and producers without tracing, leave it out.
  traceparent: z.string().min(1).max(512).nullish(),
  payload: z.unknown(),
});

export type EventEnvelope<Type extends string = string, Version extends number = number, Payload = unknown> = {
  id: string;
  type: Type;
  version: Version;
  occurredAt: string;
  source: string;
  aggregateId: string;
  correlationId: string | null;
  traceparent?: string | null;
  payload: Payload;
};

/**
 * An event that breaks its contract: unknown type or version, malformed envelope, invalid payload. Retrying
 * cannot fix it, so it extends BullMQ's UnrecoverableError: a worker fails the job at once (no retries) and
 * it goes to the dead-letter queue, where a person decides.
 */
export class EventContractError extends UnrecoverableError {
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[] = []) {
    super(issues.length ? `${message}: ${issues.join('; ')}` : message);
    this.issues = issues;
  }
}

/** zod issues as short "path: message" lines, for error messages and the dead-letter queue. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
}
