import { type EventType } from './contracts/registry.ts';

/*
 * Topology: one BullMQ queue per consumer group, not per event type. A BullMQ queue is a work queue (each
 * job goes to one worker), so a queue per type would make inventory and notifications compete for the same
 * OrderPlaced instead of each receiving it. The relay fans each event out to the queue of every consumer
 * that subscribes to its type, with jobId = event id in each queue; a consumer scales by running more
 * workers on its queue, and one consumer's backlog or dead letters never delay another.
 */

/** Consumer name → the event types it receives. Consumer names are queue names: letters, digits, - and _. */
export type EventSubscriptions = Readonly<Record<string, readonly EventType[]>>;

const CONSUMER_NAME = /^[a-z][a-z0-9_-]*$/i;

export function assertConsumerName(consumer: string): void {
  // BullMQ refuses ':' in queue names (its key separator); a narrow alphabet also keeps Redis keys readable.
  if (!CONSUMER_NAME.test(consumer)) throw new Error(`Invalid consumer name "${consumer}": use letters, digits, - and _`);
}

/** The queue a consumer's worker reads. */
export function consumerQueueName(consumer: string): string {
  assertConsumerName(consumer);
  return `events.${consumer}`;
}

/** Where a consumer's jobs go once retrying cannot help. */
export function deadLetterQueueName(consumer: string): string {
  assertConsumerName(consumer);
  return `events.${consumer}.dead-letter`;
}

/** The consumers that receive `type`, per the subscriptions. */
export function consumersOf(subscriptions: EventSubscriptions, type: string): string[] {
  return Object.entries(subscriptions)
    .filter(([, types]) => (types as readonly string[]).includes(type))
    .map(([consumer]) => consumer);
}
