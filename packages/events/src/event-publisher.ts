import { type JobsOptions } from 'bullmq';
import { type DomainEvent } from './contracts/registry.ts';
import { EVENT_JOB_OPTIONS, type QueueConnection } from './job-options.ts';
import { ENQUEUE_DEADLINE_MS, QueueHandles } from './queue-handles.ts';
import { consumerQueueName, consumersOf, type EventSubscriptions } from './routing.ts';

/**
 * Puts events on the queues of their consumers (see routing.ts). jobId = event id in every queue: adding an
 * event that is already there is a no-op, which is how a relay's second publish of the same row (after a
 * crash before it marked the row, or an add that outlived its deadline) creates no second job.
 */
export class EventPublisher {
  readonly #queues: QueueHandles;
  readonly #subscriptions: EventSubscriptions;
  readonly #jobOptions: JobsOptions;
  readonly #deadlineMs: number;

  /** deadlineMs: how long one event's adds may wait for Redis before the publish fails (DeadlineExceededError). */
  constructor(options: { subscriptions: EventSubscriptions; queues: QueueConnection; jobOptions?: JobsOptions; deadlineMs?: number }) {
    this.#subscriptions = options.subscriptions;
    this.#queues = new QueueHandles(options.queues);
    this.#jobOptions = { ...EVENT_JOB_OPTIONS, ...options.jobOptions };
    this.#deadlineMs = options.deadlineMs ?? ENQUEUE_DEADLINE_MS;
  }

  /** Adds `event` to every subscribed consumer's queue; returns those consumers (none: nobody listens). */
  async publish(event: DomainEvent): Promise<string[]> {
    const consumers = consumersOf(this.#subscriptions, event.type);
    await Promise.all(
      consumers.map((consumer) => this.#queues.add(consumerQueueName(consumer), event.type, event, { ...this.#jobOptions, jobId: event.id }, this.#deadlineMs)),
    );
    return consumers;
  }

  close(): Promise<void> {
    return this.#queues.close();
  }
}
