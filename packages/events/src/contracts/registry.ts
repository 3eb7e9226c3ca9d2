import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { producerTraceparent } from '../tracing.ts';
import { describeIssues, type EventEnvelope, eventEnvelopeSchema, EventContractError } from './envelope.ts';
import {
  orderPlacedV1,
  paymentAuthorizationRequestedV1,
  paymentCapturedV1,
  paymentCaptureRequestedV1,
  paymentVoidedV1,
  paymentVoidRequestedV1,
  stockCommitFailedV1,
  stockCommitRequestedV1,
  stockCommittedV1,
  stockReleasedV1,
  stockReleaseRequestedV1,
  stockReservationExpiredV1,
  stockReservationRequestedV1,
  orderStatusChangedV1,
  paymentAuthorizedV1,
  paymentDeclinedV1,
  productPriceChangedV1,
  reviewDeletedV1,
  reviewPublishedV1,
  stockReservationFailedV1,
  stockReservedV1,
  userRegisteredV1,
} from './payloads.ts';

/**
 * Every event the store publishes: type → version → payload schema. Producers and consumers both check
 * against it (publish and consume), so a producer cannot emit what no consumer can read, and a consumer
 * never acts on a payload it does not understand.
 */
export const EVENT_SCHEMAS = {
  OrderPlaced: { 1: orderPlacedV1 },
  OrderStatusChanged: { 1: orderStatusChangedV1 },
  ProductPriceChanged: { 1: productPriceChangedV1 },
  StockReserved: { 1: stockReservedV1 },
  StockReservationFailed: { 1: stockReservationFailedV1 },
  PaymentAuthorized: { 1: paymentAuthorizedV1 },
  PaymentDeclined: { 1: paymentDeclinedV1 },
  ReviewPublished: { 1: reviewPublishedV1 },
  ReviewDeleted: { 1: reviewDeletedV1 },
  UserRegistered: { 1: userRegisteredV1 },
  // The order saga (see packages/events/README.md): commands from orders, replies from inventory and payments.
  StockReservationRequested: { 1: stockReservationRequestedV1 },
  StockCommitRequested: { 1: stockCommitRequestedV1 },
  StockReleaseRequested: { 1: stockReleaseRequestedV1 },
  PaymentAuthorizationRequested: { 1: paymentAuthorizationRequestedV1 },
  PaymentCaptureRequested: { 1: paymentCaptureRequestedV1 },
  PaymentVoidRequested: { 1: paymentVoidRequestedV1 },
  StockCommitted: { 1: stockCommittedV1 },
  StockCommitFailed: { 1: stockCommitFailedV1 },
  StockReleased: { 1: stockReleasedV1 },
  StockReservationExpired: { 1: stockReservationExpiredV1 },
  PaymentCaptured: { 1: paymentCapturedV1 },
  PaymentVoided: { 1: paymentVoidedV1 },
} as const satisfies Record<string, Record<number, z.ZodType>>;

type Schemas = typeof EVENT_SCHEMAS;
export type EventType = keyof Schemas;
export type EventVersion<T extends EventType> = keyof Schemas[T] & number;
export type EventPayload<T extends EventType, V extends EventVersion<T>> = z.output<Schemas[T][V] & z.ZodType>;

/** One validated event of a given type and version (all versions of the type when V is left out). */
export type DomainEvent<T extends EventType = EventType, V extends EventVersion<T> = EventVersion<T>> = {
  [Type in T]: { [Version in V & EventVersion<Type>]: EventEnvelope<Type, Version, EventPayload<Type, Version>> }[V & EventVersion<Type>];
}[T];

export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS) as EventType[];

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(EVENT_SCHEMAS, type);
}

/** The payload schema of (type, version), or undefined when the registry does not know it. */
export function payloadSchema(type: string, version: number): z.ZodType | undefined {
  if (!isEventType(type)) return undefined;
  const versions: Record<number, z.ZodType> = EVENT_SCHEMAS[type];
  return Object.hasOwn(versions, version) ? versions[version] : undefined;
}

export interface DefineEventInput<T extends EventType, V extends EventVersion<T>> {
  type: T;
  version: V;
  /** The subgraph that owns the change (e.g. "orders"). */
  source: string;
  aggregateId: string;
  /** The request id of the GraphQL request that caused the change; null outside a request. */
  correlationId: string | null;
  /** W3C traceparent of the producing span; filled from the active span when left out (see tracing). */
  traceparent?: string | null;
  payload: EventPayload<T, V>;
  /** Given only to re-create a known event (tests, replays); a new event gets a random UUID. */
  id?: string;
  occurredAt?: Date | string;
}

/**
 * Builds a new event and validates it against its contract, so an invalid event fails in the producer's
 * request (where the bug is) instead of in a consumer hours later. Throws EventContractError.
 */
export function defineEvent<T extends EventType, V extends EventVersion<T>>(input: DefineEventInput<T, V>): DomainEvent<T, V> {
  const occurredAt = input.occurredAt instanceof Date ? input.occurredAt.toISOString() : (input.occurredAt ?? new Date().toISOString());
  return parseEvent({
    id: input.id ?? randomUUID(),
    type: input.type,
    version: input.version,
    occurredAt,
    source: input.source,
    aggregateId: input.aggregateId,
    correlationId: input.correlationId,
    traceparent: input.traceparent ?? producerTraceparent(),
    payload: input.payload,
  }) as DomainEvent<T, V>;
}

/**
 * Validates anything that claims to be an event (a job's data, an outbox row) against the envelope and the
 * payload schema of its (type, version). Throws EventContractError, a BullMQ UnrecoverableError, for an
 * unknown type/version or an invalid envelope or payload: retrying such an event cannot succeed.
 */
export function parseEvent(data: unknown): DomainEvent {
  const envelope = eventEnvelopeSchema.safeParse(data);
  if (!envelope.success) throw new EventContractError('Invalid event envelope', describeIssues(envelope.error));
  const { type, version } = envelope.data;
  const schema = payloadSchema(type, version);
  if (!schema) throw new EventContractError(`Unknown event ${type} v${version}`);
  const payload = schema.safeParse(envelope.data.payload);
  if (!payload.success) throw new EventContractError(`Invalid ${type} v${version} payload`, describeIssues(payload.error));
  return { ...envelope.data, payload: payload.data } as DomainEvent;
}
