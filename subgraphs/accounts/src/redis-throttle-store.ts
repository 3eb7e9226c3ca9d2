import { DeadlineExceededError, withDeadline } from '@storefront/http-host';
import type { Cluster, Redis } from 'ioredis';
import type { ThrottleCounter, ThrottleStore } from './throttle-store.ts';

/*
 * The throttle's counters in Redis, shared by every accounts replica. Each counter is a hash { failures,
 * lockedUntil } whose TTL is its lock plus the rule's memory, so counters for e-mails an attacker made up expire
 * by themselves. Each operation is one script: atomic over all the counters of an attempt, one round trip, and
 * timed by Redis's clock, so replicas whose clocks differ still agree on when a lock ends.
 *
 * The scripts touch several keys, which Redis Cluster allows only within one hash slot: on a cluster every
 * counter's key carries one hash tag (login-throttle-settings.ts, throttleKeyPrefix).
 */

/** KEYS: the counters. ARGV: per counter its rule (freeFailures, firstLockMs, maxLockMs, memoryMs). */
const ATTEMPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local wait = 0
for i = 1, #KEYS do
  local lockedUntil = tonumber(redis.call('HGET', KEYS[i], 'lockedUntil') or '0')
  if lockedUntil - now > wait then wait = lockedUntil - now end
end
if wait > 0 then return wait end
for i = 1, #KEYS do
  local free, first, max, memory = tonumber(ARGV[i * 4 - 3]), tonumber(ARGV[i * 4 - 2]), tonumber(ARGV[i * 4 - 1]), tonumber(ARGV[i * 4])
  local failures = redis.call('HINCRBY', KEYS[i], 'failures', 1)
  local lock = 0
  if failures >= free then lock = math.floor(math.min(max, first * 2 ^ (failures - free))) end
  redis.call('HSET', KEYS[i], 'lockedUntil', string.format('%d', now + lock))
  redis.call('PEXPIRE', KEYS[i], lock + memory)
end
return 0
`;

/**
 * KEYS: the counters to reset, then the ones to refund. ARGV[1]: how many to reset; then per refunded counter
 * its freeFailures. A refund that brings a counter back under its free failures lifts its lock.
 */
const SUCCEEDED = `
local resets = tonumber(ARGV[1])
for i = 1, resets do redis.call('DEL', KEYS[i]) end
for i = resets + 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    local failures = redis.call('HINCRBY', KEYS[i], 'failures', -1)
    if failures <= 0 then
      redis.call('DEL', KEYS[i])
    elseif failures < tonumber(ARGV[i - resets + 1]) then
      redis.call('HSET', KEYS[i], 'lockedUntil', '0')
    end
  end
end
return 0
`;

/**
 * How long one script may take before Redis counts as away for it. Short enough that a sign-in never waits
 * long on a Redis that accepts connections and does not answer (a stopped process, a stalled VM), which
 * neither a refused connection nor ioredis's offline queue notices; the verdict is given one event-loop turn
 * late (withDeadline), so this process being busy does not pass for Redis being slow.
 */
export const DEFAULT_THROTTLE_DEADLINE_MS = 500;

export class RedisThrottleStore implements ThrottleStore {
  /** `redis` is the store's own: close() ends it, and a missed deadline makes it reconnect. */
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly deadlineMs = DEFAULT_THROTTLE_DEADLINE_MS,
  ) {}

  async attempt(counters: readonly ThrottleCounter[]): Promise<number> {
    if (counters.length === 0) return 0;
    const rules = counters.flatMap(({ rule }) => [rule.freeFailures, rule.firstLockMs, rule.maxLockMs, rule.memoryMs].map(String));
    const wait = await this.withinDeadline(this.redis.eval(ATTEMPT, counters.length, ...counters.map(({ key }) => key), ...rules));
    return Number(wait);
  }

  async succeeded(reset: readonly ThrottleCounter[], refund: readonly ThrottleCounter[]): Promise<void> {
    const keys = [...reset, ...refund].map(({ key }) => key);
    if (keys.length === 0) return;
    await this.withinDeadline(this.redis.eval(SUCCEEDED, keys.length, ...keys, String(reset.length), ...refund.map(({ rule }) => String(rule.freeFailures))));
  }

  /**
   * A missed deadline drops the connection and opens a new one: its commands the silent server still owes are
   * rejected rather than piling up, and until the new connection passes ioredis's ready check (which waits for
   * Redis to answer) later commands fail at once when the offline queue is off, as openLoginThrottle sets it.
   */
  private async withinDeadline<T>(command: Promise<T>): Promise<T> {
    try {
      return await withDeadline(command, this.deadlineMs, 'redis (login throttle)');
    } catch (error) {
      if (error instanceof DeadlineExceededError && this.redis.status === 'ready') this.redis.disconnect(true);
      throw error;
    }
  }

  async close(): Promise<void> {
    // QUIT waits for an answer too; a Redis that gives none must not hold the shutdown.
    await withDeadline(this.redis.quit(), this.deadlineMs, 'redis QUIT').catch(() => this.redis.disconnect());
  }
}
