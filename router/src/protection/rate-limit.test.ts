import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { createLogger } from '@storefront/common';
import { createClient } from 'redis';
import { RedisConnection } from '../cache/redis.ts';
import { CacheStats } from '../cache/stats.ts';
import { clientIp, RateLimiter, type RateLimits } from './rate-limit.ts';

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

  it('lets requests through while Redis is unreachable (fails open)', async () => {
    const down = await connection('redis://127.0.0.1:1', 200);
    try {
      expect(down.isReady).toBe(false);
      const limiter = new RateLimiter(down, LIMITS);
      for (let i = 0; i < 10; i += 1) expect(await limiter.admit(incoming(null), request('10.0.0.4'))).toBeUndefined();
    } finally {
      await down.close();
    }
  });

  it('turns a limit of 0 off', async () => {
    const limiter = new RateLimiter(redis, { ...LIMITS, perIp: 0 });
    for (let i = 0; i < 10; i += 1) expect(await limiter.admit(incoming(null), request('10.0.0.5'))).toBeUndefined();
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
