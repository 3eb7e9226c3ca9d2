import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { createLogger } from '@storefront/telemetry';
import { waitFor } from '@storefront/testing';
import { createClient } from 'redis';
import { RedisConnection } from '../cache/redis.ts';
import { CacheStats } from '../cache/stats.ts';
import { startPrivateRedis, type PrivateRedis } from '../../../tests/support/private-redis.ts';
import { clientIp, LocalRateWindows, RateLimiter, type RateLimits } from './rate-limit.ts';

/* The limiter against the real Redis (REDIS_URL, default local), each run under its own key prefix. */

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const silent = createLogger({ service: 'rate-limit-test', level: 'silent' });
const prefix = `test:${randomUUID()}:`;
const LIMITS: RateLimits = { perIp: 3, perUser: 2, windowMs: 1_000, trustedProxyHops: 0 };

let redis: RedisConnection;

async function connection(url: string, waitMs = 2_000): Promise<RedisConnection> {
  const made = new RedisConnection({ url, keyPrefix: prefix, commandTimeoutMs: 2_000, logger: silent, stats: new CacheStats() });
  const deadline = Date.now() + waitMs;
  while (!made.isReady && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return made;
}

beforeAll(async () => {
  redis = await connection(REDIS_URL);
  expect(redis.isReady).toBe(true);
});

afterAll(async () => {
  await redis?.close();
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  const keys = await client.keys(`${prefix}*`);
  if (keys.length) await client.del(keys);
  await client.close();
});

const request = (address: string, forwardedFor?: string) =>
  ({ headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}, socket: { remoteAddress: address } }) as unknown as http.IncomingMessage;

const incoming = (viewer: { userId: string } | null) => ({ requestId: 'r', headers: {}, logger: silent, viewer: viewer && { ...viewer, roles: [] } }) as never;

describe('the rate limiter', () => {
  it('allows the limit per window, then refuses with 429 RATE_LIMITED and Retry-After; the counter resets after the window', async () => {
    const limiter = new RateLimiter(redis, LIMITS);
    const from = request('10.0.0.1');
    for (let i = 0; i < 3; i += 1) expect(await limiter.admit(incoming(null), from)).toBeUndefined();
    const refusal = await limiter.admit(incoming(null), from);
    expect(refusal).toMatchObject({ status: 429, code: 'RATE_LIMITED', headers: { 'retry-after': '1' } });
    await new Promise((resolve) => setTimeout(resolve, LIMITS.windowMs + 50));
    expect(await limiter.admit(incoming(null), from)).toBeUndefined();
  });

  it('counts each IP and each signed-in user separately, users against the user limit only', async () => {
    const limiter = new RateLimiter(redis, LIMITS);
    const shared = request('10.0.0.2');
    for (let i = 0; i < 3; i += 1) await limiter.admit(incoming(null), shared);
    expect(await limiter.admit(incoming(null), shared)).toBeDefined();
    expect(await limiter.admit(incoming(null), request('10.0.0.3'))).toBeUndefined();
    // Signed-in users behind the exhausted address still get their own budget of 2.
    const ada = incoming({ userId: randomUUID() });
    expect(await limiter.admit(ada, shared)).toBeUndefined();
    expect(await limiter.admit(ada, shared)).toBeUndefined();
    expect(await limiter.admit(ada, shared)).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(await limiter.admit(incoming({ userId: randomUUID() }), shared)).toBeUndefined();
  });

  it('counts in this process while Redis is unreachable: the limit holds per replica and nothing waits', async () => {
    const down = await connection('redis://127.0.0.1:1', 200);
    try {
      expect(down.isReady).toBe(false);
      const limiter = new RateLimiter(down, LIMITS);
      const from = request('10.0.0.4');
      for (let i = 0; i < 3; i += 1) expect(await limiter.admit(incoming(null), from)).toBeUndefined();
      expect(await limiter.admit(incoming(null), from)).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
      expect(await limiter.admit(incoming(null), request('10.0.0.44'))).toBeUndefined();
    } finally {
      await down.close();
    }
  });

  it('turns a limit of 0 off', async () => {
    const limiter = new RateLimiter(redis, { ...LIMITS, perIp: 0 });
    for (let i = 0; i < 10; i += 1) expect(await limiter.admit(incoming(null), request('10.0.0.5'))).toBeUndefined();
  });
});

describe('the rate limiter on a Redis that stops answering', () => {
  let own: PrivateRedis;
  beforeAll(async () => {
    own = await startPrivateRedis();
  });
  // Also after a failed (timed-out) test, so nothing is left frozen.
  afterEach(() => own.thaw());
  afterAll(async () => {
    await own?.stop();
  });

  it('answers within the deadline while Redis is frozen, limits in this process meanwhile, and counts in Redis again after it thaws', async () => {
    const stats = new CacheStats();
    const frozenable = new RedisConnection({ url: own.url, keyPrefix: prefix, commandTimeoutMs: 100, logger: silent, stats });
    try {
      await waitFor(() => frozenable.isReady, 'the private Redis to answer', 10_000);
      const limiter = new RateLimiter(frozenable, { ...LIMITS, windowMs: 60_000 });
      const from = request('10.0.0.6');
      expect(await limiter.admit(incoming(null), from)).toBeUndefined();

      own.freeze();
      const started = performance.now();
      const answers = [];
      for (let i = 0; i < 5; i += 1) answers.push(await limiter.admit(incoming(null), from));
      // A generous bound: the first call waits one 100 ms deadline, the others none; a frozen Redis would hold them all.
      expect(performance.now() - started).toBeLessThan(2_000);
      // Counted here from zero: three admitted, then refused, although Redis never answered.
      expect(answers.map((answer) => answer?.status ?? 'ok')).toEqual(['ok', 'ok', 'ok', 429, 429]);
      expect(stats.snapshot().rateLimit?.errors).toBe(5);

      own.thaw();
      await waitFor(() => frozenable.isReady, 'the private Redis to answer again', 10_000);
      // Counted in Redis again (no more errors): a fresh address gets its limit there.
      const fresh = request('10.0.0.7');
      for (let i = 0; i < 3; i += 1) expect(await limiter.admit(incoming(null), fresh)).toBeUndefined();
      expect(await limiter.admit(incoming(null), fresh)).toMatchObject({ status: 429 });
      expect(stats.snapshot().rateLimit?.errors).toBe(5);
    } finally {
      own.thaw();
      await frozenable.close();
    }
  });
});

describe('the in-process fallback counters', () => {
  it('open a window per key, count within it, start over after it, and keep at most their bound of keys', () => {
    const windows = new LocalRateWindows(3);
    expect(windows.hit('a', 1_000, 0)).toEqual({ count: 1, ttl: 1_000 });
    expect(windows.hit('a', 1_000, 400)).toEqual({ count: 2, ttl: 600 });
    expect(windows.hit('a', 1_000, 1_000)).toEqual({ count: 1, ttl: 1_000 });
    for (const key of ['b', 'c', 'd', 'e']) windows.hit(key, 1_000, 1_100);
    expect(windows.size).toBe(3);
    // The oldest windows went first.
    expect(windows.hit('e', 1_000, 1_200).count).toBe(2);
    expect(windows.hit('a', 1_000, 1_200).count).toBe(1);
  });
});

describe("the client's address", () => {
  it('is the socket address unless proxies are trusted, and then the entry they appended, not what the client wrote', () => {
    expect(clientIp(request('::ffff:192.0.2.1', '203.0.113.9'), 0)).toBe('192.0.2.1');
    expect(clientIp(request('10.1.1.1', 'forged, 203.0.113.9'), 1)).toBe('203.0.113.9');
    expect(clientIp(request('10.1.1.1', 'forged, 203.0.113.9, 10.2.2.2'), 2)).toBe('203.0.113.9');
    expect(clientIp(request('10.1.1.1', 'not-an-ip'), 1)).toBe('10.1.1.1');
    expect(clientIp(request('10.1.1.1'), 1)).toBe('10.1.1.1');
  });
});
