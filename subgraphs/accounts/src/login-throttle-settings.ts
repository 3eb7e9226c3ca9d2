import { loadConfig } from '@storefront/config';
import { Counter, Gauge, type Logger, type Registry } from '@storefront/telemetry';
import type { RedisClusterNode } from '@storefront/config';
import { openQueueRedis, queueConnectionFromEnv } from '@storefront/events';
import type { RedisOptions } from 'ioredis';
import { z } from 'zod';
import { DEFAULT_LOGIN_THROTTLE_POLICY, LoginThrottle, type LoginThrottlePolicy } from './login-throttle.ts';
import { MemoryThrottleStore } from './memory-throttle-store.ts';
import { RedisThrottleStore } from './redis-throttle-store.ts';
import { FallbackThrottleStore } from './throttle-store.ts';

/*
 * Why Redis and not accounts' Postgres: the counters are short-lived by nature, and Redis expires them by
 * itself (an attacker can make up any number of e-mails, each a counter; in Postgres every one would be a row
 * to prune), an attempt is one atomic script in one round trip with no write load on the users database, and
 * it is the store the router's rate limits already use. Accounts reaches it through REDIS_URL, as its workers
 * do. While Redis is away the throttle counts in the process (FallbackThrottleStore): per replica, but never
 * off, and sign-in keeps working.
 */

export interface LoginThrottleSettings {
  /** The Redis holding the counters (REDIS_URL), or the options of every node of `cluster`. */
  redis: RedisOptions;
  /** A Redis Cluster's seed nodes (REDIS_CLUSTER_NODES), as for the queues. */
  cluster?: readonly RedisClusterNode[] | undefined;
  /** Prepended to every counter's key, so stacks (and test runs) sharing one Redis stay apart. */
  keyPrefix: string;
  policy: LoginThrottlePolicy;
}

/** How long start-up waits for Redis before serving with the in-process fallback. */
const REDIS_CONNECT_WAIT_MS = 2_000;

/**
 * LOGIN_THROTTLE_FREE_FAILURES (5: one account from one address), LOGIN_THROTTLE_ACCOUNT_FREE_FAILURES (20:
 * one account from all addresses), LOGIN_THROTTLE_ADDRESS_FREE_FAILURES (50: one address, any e-mails),
 * LOGIN_THROTTLE_MAX_LOCK_SECONDS (900: the longest lock of the first and last; the second's is at most 300);
 * REDIS_URL and QUEUE_PREFIX as for the event queues.
 */
export function loadLoginThrottleSettings(env: NodeJS.ProcessEnv = process.env): LoginThrottleSettings {
  const defaults = DEFAULT_LOGIN_THROTTLE_POLICY;
  const count = (fallback: number) => z.coerce.number().int().min(1).max(10_000).default(fallback);
  const parsed = loadConfig(
    'accounts',
    z.object({
      LOGIN_THROTTLE_FREE_FAILURES: count(defaults.accountFromAddress.freeFailures),
      LOGIN_THROTTLE_ACCOUNT_FREE_FAILURES: count(defaults.account.freeFailures),
      LOGIN_THROTTLE_ADDRESS_FREE_FAILURES: count(defaults.address.freeFailures),
      LOGIN_THROTTLE_MAX_LOCK_SECONDS: z.coerce.number().int().min(1).max(86_400).default(defaults.accountFromAddress.maxLockMs / 1_000),
    }),
    env,
  );
  const maxLockMs = parsed.LOGIN_THROTTLE_MAX_LOCK_SECONDS * 1_000;
  // BullMQ's connection settings minus its blocking-only option; the store sets its own fail-fast ones.
  const { connection, prefix, cluster } = queueConnectionFromEnv(env, 'accounts');
  const { maxRetriesPerRequest: _blocking, ...redis } = connection;
  return {
    redis,
    ...(cluster ? { cluster } : {}),
    keyPrefix: throttleKeyPrefix(prefix ?? 'storefront', Boolean(cluster)),
    policy: {
      accountFromAddress: { ...defaults.accountFromAddress, freeFailures: parsed.LOGIN_THROTTLE_FREE_FAILURES, maxLockMs },
      account: { ...defaults.account, freeFailures: parsed.LOGIN_THROTTLE_ACCOUNT_FREE_FAILURES, maxLockMs: Math.min(maxLockMs, defaults.account.maxLockMs) },
      address: { ...defaults.address, freeFailures: parsed.LOGIN_THROTTLE_ADDRESS_FREE_FAILURES, maxLockMs },
    },
  };
}

/**
 * `<QUEUE_PREFIX>:accounts:login-throttle:`, or on a Redis Cluster `{<QUEUE_PREFIX>:accounts:login-throttle}:`.
 * One attempt's script reads and writes three counters at once (this account from this address, this account,
 * this address), which a cluster allows only within one slot, and no part of the key is common to all three:
 * so every counter shares one hash tag, and the throttle lives on one shard. That is plenty (sign-ins are bound by
 * password hashing at some 14 a second per thread), and the tag is the throttle's own, not the queues' `{prefix}`,
 * so it need not share their shard.
 */
function throttleKeyPrefix(queuePrefix: string, cluster: boolean): string {
  // On a cluster the queues' prefix arrives hash-tagged already ({storefront}); the throttle tags its own name.
  const name = `${queuePrefix.replace(/^\{(.*)\}$/, '$1')}:accounts:login-throttle`;
  return cluster ? `{${name}}:` : `${name}:`;
}

/**
 * Connects the throttle to Redis, or to the in-process fallback until Redis answers; never fails start-up.
 * With a registry: `accounts_login_throttle_local_total` counts calls counted in this process only, and
 * `accounts_login_throttle_shared` is 1 while attempts are counted in Redis, 0 while in this process.
 */
export async function openLoginThrottle(settings: LoginThrottleSettings, logger: Logger, metrics?: Registry): Promise<LoginThrottle> {
  const redis = openQueueRedis(
    { connection: settings.redis, cluster: settings.cluster },
    {
      lazyConnect: true,
      // Fail fast instead of queueing while disconnected: a sign-in should not wait for Redis to come back. A
      // Redis that is connected but silent is the store's deadline's to catch (DEFAULT_THROTTLE_DEADLINE_MS).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    },
  );
  redis.on('error', () => {}); // the fallback store logs when it takes over; ioredis keeps reconnecting
  let waited: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([redis.connect(), new Promise((resolve) => (waited = setTimeout(resolve, REDIS_CONNECT_WAIT_MS)))]).catch((error: unknown) =>
    logger.warn({ err: error }, 'login throttle: Redis unreachable at start; counting in this process until it answers'),
  );
  clearTimeout(waited);
  const local = metrics
    ? new Counter({
        name: 'accounts_login_throttle_local_total',
        help: 'Sign-in throttle calls counted in this process only, because Redis failed or did not answer within its deadline',
        registers: [metrics],
      })
    : undefined;
  const store = new FallbackThrottleStore(new RedisThrottleStore(redis), new MemoryThrottleStore(), logger, () => local?.inc());
  if (metrics) {
    new Gauge({
      name: 'accounts_login_throttle_shared',
      help: 'Whether sign-in attempts are counted in Redis across replicas (1) or in this process only (0)',
      registers: [metrics],
      collect() {
        this.set(store.degraded ? 0 : 1);
      },
    });
  }
  return new LoginThrottle(store, settings.policy, settings.keyPrefix);
}
