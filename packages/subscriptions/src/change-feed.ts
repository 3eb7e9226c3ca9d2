import { GraphQLError } from 'graphql';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import pg from 'pg';
import { AsyncQueue } from './async-queue.ts';
import type { Logger } from '@storefront/telemetry';

/*
 * How a service's committed changes reach subscribers on every replica (subscriptions fed by the database):
 *
 *   a writer's transaction ──commit──▶ Postgres NOTIFY <channel> (a trigger in the service's migrations;
 *   notifications are delivered only on commit) ──▶ NotifyToRedisBridge in each process (LISTEN) ──PUBLISH──▶ Redis, one channel per topic
 *   (an order, a product) ──▶ TopicHub in each process (SUBSCRIBE while someone watches) ──▶ subscribers
 *
 * A trigger sees every writer without any of them knowing about subscriptions, and only what committed. Each
 * bridge publishes every notification it hears, so with N replicas a change is published N times: payloads
 * carry a version and subscribers keep only newer ones.
 */

export interface RedisTopics {
  options: RedisOptions;
  /** Key prefix (QUEUE_PREFIX): stacks sharing one Redis do not hear each other. */
  prefix: string;
  /**
   * Opens a connection with `overrides` on top of the service's own settings: how a Redis Cluster (or anything
   * but a single Redis from `options`) is reached, e.g. `(overrides) => openQueueRedis(queues, overrides)`.
   */
  connect?: (overrides: RedisOptions) => Redis | Cluster;
}

/** A connection to the topics' Redis: the service's factory when it gave one, else a single Redis from `options`. */
function openTopicsRedis(topics: RedisTopics, overrides: RedisOptions): Redis | Cluster {
  return topics.connect ? topics.connect(overrides) : new Redis({ ...topics.options, ...overrides });
}

export interface NotifyToRedisBridgeOptions {
  databaseUrl: string;
  /** The Postgres NOTIFY channel the trigger writes. */
  channel: string;
  redis: RedisTopics;
  /** The topic a notification belongs to (e.g. `orders:changes:<id>`); undefined drops it. */
  topicOf(payload: string): string | undefined;
  /**
   * Notifications with the same key (one transaction's changes of one order) are published once, the last of
   * them: a transaction's notifications arrive together at its commit, the last one carrying its final state.
   */
  coalesceKey?(payload: string): string | undefined;
  logger: Logger;
}

/** How long notifications of one key are gathered: a commit's notifications arrive in one burst. */
const COALESCE_MS = 10;

/**
 * LISTENs on a connection of its own and PUBLISHes each notification under its topic. A lost connection is
 * reopened with backoff; what committed meanwhile is not republished (subscribers catch up by subscribing again,
 * since every subscription starts with the current state).
 */
export class NotifyToRedisBridge {
  private client: pg.Client | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private failures = 0;
  private readonly redis: Redis | Cluster;
  private readonly pending = new Map<string, { topic: string; payload: string }>();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: NotifyToRedisBridgeOptions) {
    if (!/^[a-z_][a-z0-9_]*$/.test(options.channel)) throw new Error(`not a plain channel name: ${options.channel}`);
    this.redis = openTopicsRedis(options.redis, { maxRetriesPerRequest: 1 });
    // The publishing connection's errors surface on each PUBLISH, which is logged.
    this.redis.on('error', () => undefined);
  }

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const { channel, logger } = this.options;
    const client = new pg.Client({ connectionString: this.options.databaseUrl });
    this.client = client;
    client.on('notification', (message) => {
      if (message.channel !== channel || !message.payload) return;
      const topic = this.options.topicOf(message.payload);
      if (!topic) return;
      const key = this.options.coalesceKey?.(message.payload);
      if (key === undefined) {
        this.publish(topic, message.payload);
        return;
      }
      // Map order keeps the first arrival's place: topics are published in commit order.
      this.pending.set(key, { topic, payload: message.payload });
      this.flushTimer ??= setTimeout(() => this.flush(), COALESCE_MS);
    });
    client.on('error', (error) => {
      logger.warn({ err: error, channel }, 'the change listener lost its database connection');
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
      this.failures = 0;
    } catch (error) {
      logger.warn({ err: error, channel }, 'the change listener could not connect');
      this.reconnect(client);
    }
  }

  private flush(): void {
    this.flushTimer = undefined;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const { topic, payload } of pending) this.publish(topic, payload);
  }

  private publish(topic: string, payload: string): void {
    this.redis.publish(`${this.options.redis.prefix}:${topic}`, payload).catch((error: unknown) => {
      this.options.logger.warn({ err: error, topic }, 'a change could not be published');
    });
  }

  private reconnect(client: pg.Client): void {
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners('notification');
    void client.end().catch(() => undefined);
    this.failures += 1;
    this.retry = setTimeout(() => void this.connect(), Math.min(5_000, 100 * 2 ** Math.min(this.failures, 6)));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    clearTimeout(this.flushTimer);
    this.flush();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    this.redis.disconnect();
  }
}

export interface TopicHubOptions<T> {
  redis: RedisTopics;
  parse(payload: string): T | undefined;
  /** Changes that may wait for one subscriber before it is dropped (SLOW_CONSUMER). */
  backlog?: number;
  logger: Logger;
}

/**
 * The topics this process's subscribers watch: one Redis connection in subscriber mode, a channel subscribed
 * while at least one subscriber watches it, each change fanned out in process.
 */
export class TopicHub<T> {
  private readonly redis: Redis | Cluster;
  private readonly watchers = new Map<string, Set<AsyncQueue<T>>>();
  private closed = false;

  constructor(private readonly options: TopicHubOptions<T>) {
    this.redis = openTopicsRedis(options.redis, { maxRetriesPerRequest: null });
    this.redis.on('error', (error: unknown) => options.logger.warn({ err: error }, 'a change hub lost Redis'));
    this.redis.on('message', (channel: string, payload: string) => {
      const watchers = this.watchers.get(channel);
      if (!watchers?.size) return;
      const change = options.parse(payload);
      if (change === undefined) return;
      for (const queue of watchers) queue.push(change);
    });
  }

  /** The changes of these topics from now on, in one queue; resolves once Redis confirms the subscriptions. */
  async watch(topics: readonly string[]): Promise<AsyncQueue<T>> {
    if (this.closed) throw new GraphQLError('The service is shutting down', { extensions: { code: 'SERVICE_UNAVAILABLE' } });
    const channels = [...new Set(topics.map((topic) => `${this.options.redis.prefix}:${topic}`))];
    const queue: AsyncQueue<T> = new AsyncQueue(
      this.options.backlog ?? 64,
      () => new GraphQLError('The subscriber fell too far behind; subscribe again', { extensions: { code: 'SLOW_CONSUMER' } }),
      () => this.unwatch(channels, queue),
    );
    const fresh: string[] = [];
    for (const channel of channels) {
      let watchers = this.watchers.get(channel);
      if (!watchers) {
        this.watchers.set(channel, (watchers = new Set()));
        fresh.push(channel);
      }
      watchers.add(queue);
    }
    try {
      if (fresh.length) await this.redis.subscribe(...fresh);
    } catch {
      queue.fail(new Error('redis unavailable'));
      throw new GraphQLError('Changes are unavailable right now', { extensions: { code: 'SERVICE_UNAVAILABLE' } });
    }
    return queue;
  }

  private unwatch(channels: readonly string[], queue: AsyncQueue<T>): void {
    const idle: string[] = [];
    for (const channel of channels) {
      const watchers = this.watchers.get(channel);
      if (!watchers?.delete(queue) || watchers.size) continue;
      this.watchers.delete(channel);
      idle.push(channel);
    }
    if (idle.length && !this.closed) this.redis.unsubscribe(...idle).catch((error: unknown) => this.options.logger.warn({ err: error }, 'could not unsubscribe'));
  }

  /** Ends every subscriber's changes with SHUTTING_DOWN (not a quiet end, which would look final) and disconnects. */
  async close(): Promise<void> {
    this.closed = true;
    const shutdown = new GraphQLError('The service is shutting down; subscribe again', { extensions: { code: 'SHUTTING_DOWN' } });
    for (const watchers of this.watchers.values()) for (const queue of watchers) queue.fail(shutdown);
    this.watchers.clear();
    this.redis.disconnect();
  }
}
