import { type JobsOptions, type Queue } from 'bullmq';
import { type DomainEvent } from './contracts/registry.ts';
import { EVENT_JOB_OPTIONS, openQueue, type QueueConnection } from './job-options.ts';
import { consumerQueueName, consumersOf, type EventSubscriptions } from './routing.ts';

/**
 * Puts events on the queues of their consumers (see routing.ts). jobId = event id in every queue: adding an
 * event that is already there is a no-op, which is how a relay's second publish of the same row (after a
 * crash before it marked the row) creates no second job.
 */
export class EventPublisher {
  readonly #queues = new Map<string, Queue>();
  readonly #subscriptions: EventSubscriptions;
  readonly #connection: QueueConnection;
  readonly #jobOptions: JobsOptions;

  constructor(options: { subscriptions: EventSubscriptions; queues: QueueConnection; jobOptions?: JobsOptions }) {
    this.#subscriptions = options.subscriptions;
    this.#connection = options.queues;
    this.#jobOptions = { ...EVENT_JOB_OPTIONS, ...options.jobOptions };
  }

  /** Adds `event` to every subscribed consumer's queue; returns those consumers (none: nobody listens). */
  async publish(event: DomainEvent): Promise<string[]> {
    const consumers = consumersOf(this.#subscriptions, event.type);
    await Promise.all(consumers.map((consumer) => this.#queue(consumer).add(event.type, event, { ...this.#jobOptions, jobId: event.id })));
    return consumers;
  }

  #queue(consumer: string): Queue {
    let queue = this.#queues.get(consumer);
    if (!queue) {
      queue = openQueue(consumerQueueName(consumer), this.#connection);
      this.#queues.set(consumer, queue);
    }
    return queue;
  }

  async close(): Promise<void> {
    const queues = [...this.#queues.values()];
    this.#queues.clear();
    await Promise.all(queues.map((queue) => queue.close()));
  }
}
