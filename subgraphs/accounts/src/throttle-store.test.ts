import { randomUUID } from 'node:crypto';
import { deleteQueueKeys, TEST_REDIS } from '@storefront/events/testing';
import { silentLogger } from '@storefront/testing';
import { Redis } from 'ioredis';
import { MemoryThrottleStore } from './memory-throttle-store.ts';
import { RedisThrottleStore } from './redis-throttle-store.ts';
import { FallbackThrottleStore, lockAfter, type ThrottleCounter, type ThrottleRule, type ThrottleStore } from './throttle-store.ts';

/*
 * The counters behind the login throttle, on real Redis (as every replica shares them) and in memory (the
 * fallback while Redis is away): both must behave the same, so the same cases run against each.
 */

const PREFIX = `test-login-throttle:${randomUUID()}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let n = 0;
const counter = (rule: ThrottleRule): ThrottleCounter => ({ key: `${PREFIX}:${(n += 1)}`, rule });
const rule = (overrides: Partial<ThrottleRule> = {}): ThrottleRule => ({ freeFailures: 3, firstLockMs: 150, maxLockMs: 10_000, memoryMs: 60_000, ...overrides });

let redis: Redis;
const stores: Array<[string, () => ThrottleStore]> = [
  ['Redis', () => new RedisThrottleStore(redis)],
  ['memory', () => new MemoryThrottleStore()],
];
beforeAll(() => {
  redis = new Redis({ host: TEST_REDIS.host, port: TEST_REDIS.port });
});
afterAll(async () => {
  await deleteQueueKeys(PREFIX);
  await redis.quit();
});

describe('lockAfter', () => {
  it('is free up to the free failures, then doubles from the first lock up to the cap', () => {
    const r = rule({ freeFailures: 3, firstLockMs: 1_000, maxLockMs: 5_000 });
    expect([1, 2, 3, 4, 5, 6, 7, 100].map((failures) => lockAfter(failures, r))).toEqual([0, 0, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
  });
});

describe.each(stores)('the %s throttle store', (_name, open) => {
  let store: ThrottleStore;
  beforeAll(() => {
    store = open();
  });

  it('admits the free failures, then locks for doubling periods that never pass the cap', async () => {
    const c = counter(rule({ freeFailures: 2, firstLockMs: 40, maxLockMs: 400 }));
    expect(await store.attempt([c])).toBe(0);
    const locks: Array<{ lock: number; elapsed: number }> = [];
    let armedAt = performance.now();
    expect(await store.attempt([c])).toBe(0); // the second failure arms the first lock
    for (let i = 0; i < 7; i += 1) {
      const lock = await store.attempt([c]);
      locks.push({ lock, elapsed: performance.now() - armedAt });
      await sleep(lock + 15);
      armedAt = performance.now();
      expect(await store.attempt([c])).toBe(0);
    }
    // 40, 80, 160, 320, then the 400 ms cap. Each is read a moment after it was set, so it is shorter by at most
    // the time between starting the call that set it and the end of the call that read it (plus a millisecond
    // of rounding): a busy machine makes that window longer, never the assertion wrong.
    const expected = [40, 80, 160, 320, 400, 400, 400];
    locks.forEach(({ lock, elapsed }, i) => {
      expect(lock).toBeLessThanOrEqual(expected[i]!);
      expect(lock).toBeGreaterThanOrEqual(expected[i]! - elapsed - 1);
    });
  });

  it('does not count refused attempts, so retrying while locked never extends the lock', async () => {
    const c = counter(rule({ freeFailures: 1, firstLockMs: 200 }));
    expect(await store.attempt([c])).toBe(0);
    for (let i = 0; i < 10; i += 1) expect(await store.attempt([c])).toBeGreaterThan(0);
    await sleep(220);
    expect(await store.attempt([c])).toBe(0);
    // The second admitted failure: 400 ms, not 2^11 times the first lock.
    expect(await store.attempt([c])).toBeLessThanOrEqual(400);
  });

  it('refuses an attempt when any of its counters is locked, and then counts it on none', async () => {
    const locked = counter(rule({ freeFailures: 1, firstLockMs: 5_000 }));
    const other = counter(rule({ freeFailures: 2 }));
    expect(await store.attempt([locked])).toBe(0);
    for (let i = 0; i < 3; i += 1) expect(await store.attempt([other, locked])).toBeGreaterThan(4_000);
    // `other` still has no failures: two more attempts before it locks.
    expect(await store.attempt([other])).toBe(0);
    expect(await store.attempt([other])).toBe(0);
    expect(await store.attempt([other])).toBeGreaterThan(0);
  });

  it('admits at most the free failures of a burst of concurrent attempts', async () => {
    const c = counter(rule({ freeFailures: 5, firstLockMs: 5_000 }));
    const waits = await Promise.all(Array.from({ length: 20 }, () => store.attempt([c])));
    expect(waits.filter((wait) => wait === 0)).toHaveLength(5);
  });

  it('starts a reset counter over, and takes one attempt back from a refunded one', async () => {
    const account = counter(rule({ freeFailures: 2, firstLockMs: 5_000 }));
    const address = counter(rule({ freeFailures: 2, firstLockMs: 5_000 }));
    expect(await store.attempt([account, address])).toBe(0);
    expect(await store.attempt([account, address])).toBe(0); // both locked now
    await store.succeeded([account], [address]);
    // The address is back under its free failures, so its lock is lifted too, but it keeps one failure.
    expect(await store.attempt([account, address])).toBe(0);
    expect(await store.attempt([address])).toBeGreaterThan(0);
    // The account kept only the attempt made after its reset.
    expect(await store.attempt([account])).toBe(0);
    expect(await store.attempt([account])).toBeGreaterThan(0);
  });

  it('refunds nothing into a counter that does not exist', async () => {
    const address = counter(rule({ freeFailures: 1, firstLockMs: 5_000 }));
    await store.succeeded([], [address]);
    expect(await store.attempt([address])).toBe(0); // not a "minus one" that buys an extra free failure
    expect(await store.attempt([address])).toBeGreaterThan(0);
  });

  it('forgets a counter once its memory has passed', async () => {
    const c = counter(rule({ freeFailures: 2, memoryMs: 150 }));
    expect(await store.attempt([c])).toBe(0);
    await sleep(200);
    expect(await store.attempt([c])).toBe(0); // the first failure again: no lock armed
    expect(await store.attempt([c])).toBe(0);
    expect(await store.attempt([c])).toBeGreaterThan(0);
  });
});

describe('the Redis store', () => {
  it('gives every counter a TTL of its lock plus its memory, so made-up e-mails do not pile up', async () => {
    const store = new RedisThrottleStore(redis);
    const free = counter(rule({ freeFailures: 2, firstLockMs: 1_000, memoryMs: 30_000 }));
    await store.attempt([free]);
    const ttl = await redis.pttl(free.key);
    expect(ttl).toBeGreaterThan(29_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    await store.attempt([free]);
    expect(await redis.pttl(free.key)).toBeGreaterThan(30_000);
    expect(await redis.pttl(free.key)).toBeLessThanOrEqual(31_000);
  });
});

describe('the fallback store', () => {
  it('keeps throttling in the process while Redis cannot be reached, and says so once', async () => {
    const unreachable = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => null });
    unreachable.on('error', () => {});
    const warnings: unknown[] = [];
    const logger = Object.assign(Object.create(silentLogger) as typeof silentLogger, { warn: (...args: unknown[]) => warnings.push(args) });
    const store = new FallbackThrottleStore(new RedisThrottleStore(unreachable), new MemoryThrottleStore(), logger);
    const c = counter(rule({ freeFailures: 2, firstLockMs: 5_000 }));
    expect(await store.attempt([c])).toBe(0);
    expect(await store.attempt([c])).toBe(0);
    expect(await store.attempt([c])).toBeGreaterThan(4_000);
    await store.succeeded([c], []);
    expect(await store.attempt([c])).toBe(0);
    expect(warnings).toHaveLength(1);
    await store.close();
  });
});
