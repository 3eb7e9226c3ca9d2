export { describeIssues, eventEnvelopeSchema, EventContractError } from './envelope.ts';
export type { EventEnvelope } from './envelope.ts';
export * as payloadSchemas from './payloads.ts';
export { defineEvent, EVENT_SCHEMAS, EVENT_TYPES, isEventType, parseEvent, payloadSchema } from './registry.ts';
export type { DefineEventInput, DomainEvent, EventPayload, EventType, EventVersion } from './registry.ts';
