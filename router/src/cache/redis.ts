import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import { DeadlineExceededError, withDeadline } from '@storefront/http-host';
import { type Logger } from '@storefront/telemetry';
import { connectClient, createRouterRedisClient, destroyClient, isCluster, listenOn, publishOn, type RedisTarget, type RouterRedisClient } from './redis-client.ts';
import type { CacheStats } from './stats.ts';

type Client = RouterRedisClient;

export interface RedisConnectionOptions {
  url: string;
  /**
   * A Redis Cluster's seed nodes (REDIS_CLUSTER_NODES); `url` then only lends its credentials and TLS. Every key
   * the router writes is one command's own, except the entity cache's, which keeps each entity's keys in one slot.
   */
  clusterNodes?: RedisTarget['clusterNodes'];
  /** Put before every key and channel, so several deployments (or test runs) can share one Redis. */
  keyPrefix: string;
  /**
   * The deadline of each call (one command, or the few one cache operation sends): later, the call is given up,
   * the request goes on uncached (or unlimited), and Redis is skipped until it answers a probe again.
   */
  commandTimeoutMs: number;
  logger: Logger;
  stats: CacheStats;
  /** What depends on this connection, for its log lines: "caches" (the default), "rate limits". */
  purpose?: string;
  /** What happens meanwhile, for the log line when Redis stops answering; default "serving without caches". */
  whileAway?: string;
}

/** How often the connection's health is checked: a PING while answering, a probe or a watchdog check otherwise. */
const HEARTBEAT_MS = 1_000;
/**
 * A client that has connected but not finished node-redis's handshake after this long is replaced: the
 * handshake waits on a server that does not answer, and on a partitioned network no error ever comes.
 */
const HANDSHAKE_TIMEOUT_MS = 5_000;
/** How long after a failed attempt to listen on a channel the next one starts. */
const RESUBSCRIBE_MS = 1_000;
/** How often the same kind of command failure may be logged; the counters see every one. */
const WARN_INTERVAL_MS = 60_000;

/**
 * The router's one Redis connection, failing open: while Redis is unreachable, slow or not answering at all,
 * every call resolves to "nothing cached" within the deadline (`commandTimeoutMs`) or at once, and is counted as
 * an error under the cache that asked.
 *
 * Health is a small state machine, logged once per transition, never per request:
 * - answering: calls go to Redis, each under the deadline; a PING every second notices a freeze without traffic;
 * - not answering: a call (or the PING) missed its deadline, or the socket failed. Calls are skipped at once. The
 *   client is replaced (destroying it drops every command the frozen server still owes, so nothing piles up), and
 *   the new one becomes answering again when its handshake completes and a probe PING answers in time.
 */
export class RedisConnection {
  readonly keyPrefix: string;
  private client: Client;
  private clientSince = Date.now();
  private readonly subscribers: Client[] = [];
  private readonly logger: Logger;
  private readonly stats: CacheStats;
  private readonly options: RedisConnectionOptions;
  private readonly purpose: string;
  private answering = false;
  private everAnswered = false;
  private warnedAtStart = false;
  private probing = false;
  private closed = false;
  private lastWarning = 0;
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private answeringWaiters: Array<() => void> = [];

  constructor(options: RedisConnectionOptions) {
    this.options = options;
    this.keyPrefix = options.keyPrefix;
    this.logger = options.logger;
    this.stats = options.stats;
    this.purpose = options.purpose ?? 'caches';
    this.client = this.openClient();
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS).unref();
  }

  /** A new cache client, connecting in the background: the router serves (uncached) while Redis comes up, or never does. */
  private openClient(): Client {
    const client = createRouterRedisClient(this.options, this.options.commandTimeoutMs);
    this.clientSince = Date.now();
    client.on('error', (error: Error) => {
      if (client === this.client) this.markNotAnswering(error, 'unreachable');
    });
    // A single client says 'ready' after every reconnect; a cluster client only resolves connect() once.
    client.on('ready', () => {
      if (client === this.client) void this.probe();
    });
    connectClient(client)
      .then(() => {
        if (client === this.client) void this.probe();
      })
      .catch(() => undefined);
    return client;
  }

  /** Drops the current client (and whatever it still waits for) and starts a fresh one. */
  private replaceClient(): void {
    if (this.closed) return;
    const old = this.client;
    this.client = this.openClient();
    void destroyClient(old);
  }

  private beat(): void {
    if (this.closed || this.probing) return;
    if (this.client.isReady) void this.probe();
    else if (Date.now() - this.clientSince > HANDSHAKE_TIMEOUT_MS) {
      this.markNotAnswering(undefined, 'unreachable');
      this.replaceClient();
    }
  }

  /**
   * PING under the deadline: answering on PONG; on a miss the client is replaced. On a cluster node-redis sends it
   * to every master (answering means every shard does), and any failure replaces the client: after a failover its
   * slot map still names the dead master until it rediscovers, while a fresh client learns the new one from the seeds.
   */
  private async probe(): Promise<void> {
    if (this.probing || this.closed) return;
    this.probing = true;
    const client = this.client;
    try {
      await withDeadline(client.ping(), this.options.commandTimeoutMs, 'redis PING');
      if (client === this.client) this.markAnswering();
    } catch (error) {
      if (client === this.client && !this.closed) {
        this.markNotAnswering(error, error instanceof DeadlineExceededError ? 'not answering' : 'unreachable');
        if (error instanceof DeadlineExceededError || isCluster(client)) this.replaceClient();
      }
    } finally {
      this.probing = false;
    }
  }

  private markAnswering(): void {
    if (this.answering) return;
    this.answering = true;
    for (const wake of this.answeringWaiters.splice(0)) wake();
    const redis = this.describe();
    if (this.everAnswered) this.logger.info({ redis }, `redis answering again; ${this.purpose} resumed`);
    else this.logger.info({ redis }, `redis connected; ${this.purpose} on`);
    this.everAnswered = true;
  }

  private markNotAnswering(error: unknown, how: 'unreachable' | 'not answering'): void {
    if (this.closed) return;
    // Logged when it stops answering, and once if it never answered at start; not again until it has answered.
    const log = this.answering || (!this.everAnswered && !this.warnedAtStart);
    if (!this.everAnswered) this.warnedAtStart = true;
    this.answering = false;
    if (!log) return;
    const detail = how === 'not answering' ? `did not answer within ${this.options.commandTimeoutMs} ms` : 'unreachable';
    this.logger.warn({ err: error, redis: this.describe() }, `redis ${detail}; ${this.options.whileAway ?? 'serving without caches'} until it answers again`);
  }

  private warn(error: unknown, message: string): void {
    const now = Date.now();
    if (now - this.lastWarning < WARN_INTERVAL_MS) return;
    this.lastWarning = now;
    this.logger.warn({ err: error, redis: this.describe() }, message);
  }

  /** Where Redis is, for log lines, without a password. */
  private describe(): string {
    const nodes = this.options.clusterNodes;
    return nodes?.length ? `cluster ${nodes.map(({ host, port }) => `${host}:${port}`).join(',')}` : redactedUrl(this.options.url);
  }

  /**
   * Resolves once Redis answers, or after `timeoutMs` either way: for work at start that is worth more with
   * Redis (warming plans other replicas may have made) and must not wait on it for long.
   */
  async whenAnswering(timeoutMs: number): Promise<void> {
    if (this.answering || this.closed) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.answeringWaiters.push(resolve);
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
  }

  /** Whether calls go to Redis right now (connected, and answering within the deadline). */
  get isReady(): boolean {
    return this.answering && this.client.isReady;
  }

  /**
   * Runs one call for `cache` (one command, or a few in sequence) under the deadline, or answers `undefined`
   * at once when Redis is not answering; a failure, or the deadline passing, is also `undefined`. The call
   * receives the client; keys it builds should go through `key()`.
   */
  async run<T>(cache: string, command: (client: Client) => Promise<T>): Promise<T | undefined> {
    const client = this.client;
    if (!this.answering || !client.isReady) {
      this.stats.error(cache);
      return undefined;
    }
    try {
      return await withDeadline(command(client), this.options.commandTimeoutMs, `redis (${cache})`);
    } catch (error) {
      this.stats.error(cache);
      if (error instanceof DeadlineExceededError) {
        if (client === this.client && this.answering) {
          this.markNotAnswering(error, 'not answering');
          this.replaceClient();
        }
      } else {
        this.warn(error, `redis command failed for the ${cache} cache; continuing uncached`);
      }
      return undefined;
    }
  }

  key(...parts: string[]): string {
    return this.keyPrefix + parts.join(':');
  }

  /**
   * Listens on a channel (named under the key prefix) with a connection of its own, as Redis requires (on a
   * cluster: sharded pub/sub, see listenOn);
   * resubscribes by itself after reconnecting. Messages that throw are logged and dropped. Nothing waits on
   * this connection: while Redis does not answer, no messages arrive (nobody can publish either), and the
   * handlers' own Redis calls go through `run`, under the deadline.
   */
  subscribe(channel: string, onMessage: (message: string) => Promise<void> | void): void {
    const listener = (message: string) => {
      Promise.resolve()
        .then(() => onMessage(message))
        .catch((error: unknown) => this.logger.warn({ err: error, channel }, 'cache message could not be handled'));
    };
    const listen = () => {
      if (this.closed) return;
      const subscriber = createRouterRedisClient(this.options, this.options.commandTimeoutMs);
      subscriber.on('error', () => undefined); // the cache client reports Redis's health
      this.subscribers.push(subscriber);
      connectClient(subscriber)
        .then(() => listenOn(subscriber, channel, listener))
        .catch(() => {
          // A single client reconnects until it can, but a cluster client gives up when no seed node answers (or
          // the slots are not served yet): without a new attempt this router would never hear an invalidation.
          this.subscribers.splice(this.subscribers.indexOf(subscriber), 1);
          void destroyClient(subscriber);
          setTimeout(listen, RESUBSCRIBE_MS).unref();
        });
    };
    listen();
  }

  /** Publishes where `subscribe` listens (sharded on a cluster), under the deadline; answers undefined when it could not. */
  publish(cache: string, channel: string, message: string): Promise<number | undefined> {
    return this.run(cache, (client) => publishOn(client, channel, message));
  }

  /** Ends every connection; never waits on a Redis that does not answer for longer than the deadline. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    const clients = [this.client, ...this.subscribers];
    await Promise.all(
      clients.map(async (client) => {
        // A connected client finishes its pending commands, if Redis answers them in time; others have nothing to flush.
        if (client.isReady) await withDeadline(client.close(), this.options.commandTimeoutMs, 'redis QUIT').catch(() => undefined);
        // Even a closed client: one whose connect failed, or a cluster whose close forgot its nodes before they closed.
        await destroyClient(client);
      }),
    );
  }
}

function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'invalid url';
  }
}

/**
 * Apollo's KeyValueCache over the router's Redis, for Apollo features that take one (persisted queries,
 * the response cache). Keys are `<prefix>[<namespace>:]<key>`; values are strings; a Redis failure is a miss.
 */
export class RedisKeyValueCache implements KeyValueCache<string> {
  constructor(
    private readonly redis: RedisConnection,
    /** The counters this cache reports under. */
    private readonly statsName: string,
    private readonly stats: CacheStats,
    /** Apollo's features prefix their keys themselves (`apq:`, `fqc:`); others may add a namespace here. */
    private readonly namespace = '',
  ) {}

  private fullKey(key: string): string {
    return this.redis.keyPrefix + (this.namespace ? `${this.namespace}:` : '') + key;
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.redis.run(this.statsName, (client) => client.get(this.fullKey(key)));
    if (typeof value === 'string') {
      this.stats.hit(this.statsName);
      return value;
    }
    this.stats.miss(this.statsName);
    return undefined;
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    const ttl = options?.ttl;
    // Apollo passes ttl 0 or null for "do not expire"; anything positive is seconds.
    const written = await this.redis.run(this.statsName, (client) =>
      ttl ? client.set(this.fullKey(key), value, { expiration: { type: 'EX', value: Math.ceil(ttl) } }) : client.set(this.fullKey(key), value),
    );
    if (written !== undefined) this.stats.count(this.statsName, 'writes');
  }

  async delete(key: string): Promise<boolean> {
    const removed = await this.redis.run(this.statsName, (client) => client.del(this.fullKey(key)));
    return (removed ?? 0) > 0;
  }
}
