import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import type { Logger } from '@storefront/common';
import { createClient } from 'redis';
import type { CacheStats } from './stats.ts';

/** node-redis failing fast: nothing queued while disconnected, a deadline on every command, endless reconnects. */
function createFailFastClient(url: string, commandTimeoutMs: number) {
  return createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout: commandTimeoutMs },
    socket: {
      connectTimeout: Math.max(1_000, commandTimeoutMs * 4),
      // Back off up to 5 s between attempts, forever: Redis coming back should need no restart.
      reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 5_000),
    },
  });
}

type Client = ReturnType<typeof createFailFastClient>;

export interface RedisConnectionOptions {
  url: string;
  /** Put before every key and channel, so several deployments (or test runs) can share one Redis. */
  keyPrefix: string;
  /** A command slower than this fails (and the request goes on uncached) instead of stalling the request. */
  commandTimeoutMs: number;
  logger: Logger;
  stats: CacheStats;
}

/** How often the same kind of Redis failure may be logged; the counters see every one. */
const WARN_INTERVAL_MS = 60_000;

/**
 * The router's one Redis connection, failing open: while Redis is unreachable or slow, every command resolves
 * to "nothing cached" at once (commands are not queued offline and have a short timeout) and is counted as an
 * error under the cache that asked; the client reconnects in the background and caching resumes by itself.
 * Transitions (down, back up) are logged once each, not per request.
 */
export class RedisConnection {
  readonly keyPrefix: string;
  private readonly client: Client;
  private readonly subscribers: Client[] = [];
  private readonly logger: Logger;
  private readonly stats: CacheStats;
  private readonly options: RedisConnectionOptions;
  private up = false;
  private everUp = false;
  private lastWarning = 0;

  constructor(options: RedisConnectionOptions) {
    this.options = options;
    this.keyPrefix = options.keyPrefix;
    this.logger = options.logger;
    this.stats = options.stats;
    this.client = this.newClient('cache');
    // Not awaited: the router serves (uncached) while Redis is still coming up, or never comes.
    this.client.connect().catch(() => undefined);
  }

  private newClient(role: string): Client {
    const client = createFailFastClient(this.options.url, this.options.commandTimeoutMs);
    client.on('error', (error: Error) => {
      if (role === 'cache') this.markDown(error);
    });
    if (role === 'cache') {
      client.on('ready', () => {
        if (!this.up) this.logger.info({ redis: redactedUrl(this.options.url) }, this.everUp ? 'redis reachable again; caching resumed' : 'redis connected; caching on');
        this.up = true;
        this.everUp = true;
      });
    }
    return client;
  }

  private markDown(error: Error): void {
    if (this.up || !this.everUp) this.warn(error, 'redis unreachable; serving without caches until it is back');
    this.up = false;
  }

  private warn(error: unknown, message: string): void {
    const now = Date.now();
    if (now - this.lastWarning < WARN_INTERVAL_MS) return;
    this.lastWarning = now;
    this.logger.warn({ err: error, redis: redactedUrl(this.options.url) }, message);
  }

  get isReady(): boolean {
    return this.client.isReady;
  }

  /**
   * Runs one command for `cache`, or answers `undefined` without waiting when Redis is down, slow or failing.
   * The command receives the client; keys it builds should go through `key()`.
   */
  async run<T>(cache: string, command: (client: Client) => Promise<T>): Promise<T | undefined> {
    if (!this.client.isReady) {
      this.stats.error(cache);
      return undefined;
    }
    try {
      return await command(this.client);
    } catch (error) {
      this.stats.error(cache);
      this.warn(error, `redis command failed for the ${cache} cache; continuing uncached`);
      return undefined;
    }
  }

  key(...parts: string[]): string {
    return this.keyPrefix + parts.join(':');
  }

  /**
   * Listens on a channel (named under the key prefix) with a connection of its own, as Redis requires;
   * resubscribes by itself after reconnecting. Messages that throw are logged and dropped.
   */
  subscribe(channel: string, onMessage: (message: string) => Promise<void> | void): void {
    const subscriber = this.newClient('subscriber');
    this.subscribers.push(subscriber);
    const listener = (message: string) => {
      Promise.resolve()
        .then(() => onMessage(message))
        .catch((error: unknown) => this.logger.warn({ err: error, channel }, 'cache message could not be handled'));
    };
    subscriber
      .connect()
      .then(() => subscriber.subscribe(channel, listener))
      .catch(() => undefined);
  }

  async close(): Promise<void> {
    for (const client of [this.client, ...this.subscribers]) {
      // A client still trying to connect has nothing to flush; a connected one finishes its pending commands.
      if (client.isReady) await client.close().catch(() => client.destroy());
      else if (client.isOpen) client.destroy();
    }
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
