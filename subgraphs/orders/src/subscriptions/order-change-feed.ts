import { AsyncQueue, type Logger } from '@storefront/common';
import { GraphQLError } from 'graphql';
import { Redis, type RedisOptions } from 'ioredis';
import pg from 'pg';
import { z } from 'zod';
import { CancelReason, OrderStatus, SagaState } from '../database.ts';

/*
 * How a committed change of an order reaches every subscriber, whichever replica serves it:
 *
 *   any writer's transaction ──commit──▶ Postgres NOTIFY order_changes (a deferred trigger, migration
 *   20261202010000) ──▶ OrderChangeBridge in each orders process (LISTEN) ──PUBLISH──▶ Redis channel of the
 *   order ──▶ OrderChangeHub in each orders process (SUBSCRIBE while someone watches it) ──▶ subscribers
 *
 * The trigger sees every writer (checkout, the saga's workers, the deadline sweep, cancellations) without any
 * of them knowing about subscriptions, and only what committed. Each bridge publishes every change it hears,
 * so with several replicas a change is published once per replica: subscribers keep only versions newer than
 * the last they delivered, which makes delivery exactly once and in commit order while any one bridge lives.
 */

export const ORDER_CHANGES_CHANNEL = 'order_changes';

const timestamp = z.string().transform((value) => new Date(value));

const orderChangeSchema = z.object({
  orderId: z.uuid(),
  version: z.number().int(),
  status: z.enum(OrderStatus),
  cancelReason: z.enum(CancelReason).nullable(),
  updatedAt: timestamp,
  checkout: z
    .object({
      state: z.enum(SagaState),
      failureReason: z.enum(CancelReason).nullable(),
      startedAt: timestamp,
      updatedAt: timestamp,
      finishedAt: timestamp.nullable(),
    })
    .nullable(),
});

/** An order's status and checkout progress as one committed transaction left them. */
export type OrderChange = z.output<typeof orderChangeSchema>;

export function parseOrderChange(text: string): OrderChange | undefined {
  try {
    const parsed = orderChangeSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function latestUpdate(change: OrderChange): number {
  return Math.max(change.updatedAt.getTime(), change.checkout?.updatedAt.getTime() ?? 0);
}

function sameState(a: OrderChange, b: OrderChange): boolean {
  return (
    a.status === b.status &&
    a.cancelReason === b.cancelReason &&
    a.checkout?.state === b.checkout?.state &&
    a.checkout?.failureReason === b.checkout?.failureReason &&
    a.checkout?.finishedAt?.getTime() === b.checkout?.finishedAt?.getTime()
  );
}

/**
 * What a subscriber does with `change` after `last`, the change it delivered last: deliver it, or not (a copy
 * from another replica's bridge, or a change that adds nothing), and what counts as delivered from then on.
 * The first change a subscriber delivers is the order as read when it subscribed, whose version is unknown
 * (0): changes that committed before that read may still be on their way, told apart by their update times.
 */
export function nextDelivery(change: OrderChange, last: OrderChange): { deliver: boolean; last: OrderChange } {
  if (last.version !== 0 ? change.version <= last.version : latestUpdate(change) < latestUpdate(last)) return { deliver: false, last };
  if (sameState(change, last)) return { deliver: false, last: { ...last, version: change.version } };
  return { deliver: true, last: change };
}

/** The Redis channel of one order's changes, under the deployment's key prefix. */
export const orderChannel = (prefix: string, orderId: string) => `${prefix}:orders:changes:${orderId}`;

export interface RedisFeedConnection {
  options: RedisOptions;
  /** Key prefix (QUEUE_PREFIX): several stacks share one Redis without hearing each other. */
  prefix: string;
}

/**
 * LISTENs for the trigger's notifications on a connection of its own and PUBLISHes each to its order's
 * channel. A lost connection is reopened with backoff; changes committed meanwhile are not republished
 * (subscribers catch up by querying the order again, see the README).
 */
export class OrderChangeBridge {
  private client: pg.Client | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private failures = 0;
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(
    private readonly databaseUrl: string,
    connection: RedisFeedConnection,
    private readonly logger: Logger,
  ) {
    this.redis = new Redis({ ...connection.options, maxRetriesPerRequest: 1, lazyConnect: false });
    // The publishing connection's errors surface on each PUBLISH, which is logged.
    this.redis.on('error', () => undefined);
    this.prefix = connection.prefix;
  }

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.databaseUrl });
    this.client = client;
    client.on('notification', (message) => {
      if (message.channel !== ORDER_CHANGES_CHANNEL || !message.payload) return;
      const change = parseOrderChange(message.payload);
      if (!change) return;
      this.redis.publish(orderChannel(this.prefix, change.orderId), message.payload).catch((error: unknown) => {
        this.logger.warn({ err: error, orderId: change.orderId }, 'an order change could not be published');
      });
    });
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'the order change listener lost its database connection');
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${ORDER_CHANGES_CHANNEL}`);
      this.failures = 0;
    } catch (error) {
      this.logger.warn({ err: error }, 'the order change listener could not connect');
      this.reconnect(client);
    }
  }

  private reconnect(client: pg.Client): void {
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners('notification');
    void client.end().catch(() => undefined);
    this.failures += 1;
    const delay = Math.min(5_000, 100 * 2 ** Math.min(this.failures, 6));
    this.retry = setTimeout(() => void this.connect(), delay);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    this.redis.disconnect();
  }
}

/** How many changes may wait for one slow subscriber before it is dropped. */
const SUBSCRIBER_BACKLOG = 64;

/**
 * The changes of the orders this process's subscribers watch: one Redis connection in subscriber mode, a
 * channel subscribed while at least one subscriber watches its order, each change fanned out in process.
 */
export class OrderChangeHub {
  private readonly redis: Redis;
  private readonly watchers = new Map<string, Set<AsyncQueue<OrderChange>>>();
  private closed = false;

  constructor(
    private readonly connection: RedisFeedConnection,
    private readonly logger: Logger,
  ) {
    this.redis = new Redis({ ...connection.options, maxRetriesPerRequest: null });
    this.redis.on('error', (error: unknown) => logger.warn({ err: error }, 'the order change hub lost Redis'));
    this.redis.on('message', (channel: string, message: string) => {
      const change = parseOrderChange(message);
      if (!change) return;
      for (const queue of this.watchers.get(channel) ?? []) queue.push(change);
    });
  }

  /** The changes of one order from now on; resolves once Redis confirms the subscription. */
  async watch(orderId: string): Promise<AsyncQueue<OrderChange>> {
    if (this.closed) throw new GraphQLError('The orders service is shutting down', { extensions: { code: 'SERVICE_UNAVAILABLE' } });
    const channel = orderChannel(this.connection.prefix, orderId);
    let watchers = this.watchers.get(channel);
    const first = !watchers;
    if (!watchers) this.watchers.set(channel, (watchers = new Set()));
    const queue: AsyncQueue<OrderChange> = new AsyncQueue(
      SUBSCRIBER_BACKLOG,
      () => new GraphQLError('The subscriber fell too far behind; subscribe again', { extensions: { code: 'SLOW_CONSUMER' } }),
      () => this.unwatch(channel, queue),
    );
    watchers.add(queue);
    try {
      if (first) await this.redis.subscribe(channel);
    } catch (error) {
      queue.fail(error);
      throw new GraphQLError('Order changes are unavailable right now', { extensions: { code: 'SERVICE_UNAVAILABLE' } });
    }
    return queue;
  }

  private unwatch(channel: string, queue: AsyncQueue<OrderChange>): void {
    const watchers = this.watchers.get(channel);
    if (!watchers?.delete(queue) || watchers.size) return;
    this.watchers.delete(channel);
    if (!this.closed) this.redis.unsubscribe(channel).catch((error: unknown) => this.logger.warn({ err: error }, 'could not unsubscribe from an order'));
  }

  /** Ends every subscriber's changes and disconnects. */
  async close(): Promise<void> {
    this.closed = true;
    for (const watchers of this.watchers.values()) for (const queue of watchers) queue.end();
    this.watchers.clear();
    this.redis.disconnect();
  }
}
