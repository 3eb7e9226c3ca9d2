import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '@storefront/telemetry';
import { waitFor } from '@storefront/testing';
import { startPrivateRedis, type PrivateRedis } from '../../../tests/support/private-redis.ts';
import { RedisConnection, RedisKeyValueCache } from './redis.ts';
import { CacheStats } from './stats.ts';

/*
 * The router's Redis connection against a redis-server of the test's own, frozen with SIGSTOP: the server keeps
 * the connection and never answers, which neither "connection refused" nor node-redis's command timeout covers.
 */

const DEADLINE_MS = 100;
/** Generous: a loaded CI machine may be slow, but never as slow as waiting for the server to thaw. */
const BOUND_MS = 2_000;

let redis: PrivateRedis;

beforeAll(async () => {
  redis = await startPrivateRedis();
});

afterAll(async () => {
  await redis?.stop();
});

afterEach(() => {
  if (redis.frozen) redis.thaw();
});

function logLines() {
  const lines: Array<{ level: number; msg: string }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'redis-test', level: 'info', destination }) };
}

async function answeringConnection(options: { stats?: CacheStats; logger?: ReturnType<typeof createLogger>; deadlineMs?: number } = {}) {
  const connection = new RedisConnection({
    url: redis.url,
    keyPrefix: `test:${randomUUID()}:`,
    commandTimeoutMs: options.deadlineMs ?? DEADLINE_MS,
    logger: options.logger ?? createLogger({ service: 'redis-test', level: 'silent' }),
    stats: options.stats ?? new CacheStats(),
  });
  await waitFor(() => connection.isReady, 'the connection to answer', 10_000);
  return connection;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe('the router’s Redis connection when Redis stops answering', () => {
  it('gives up on a call at the deadline, skips Redis at once after that, and answers again once Redis does', async () => {
    const stats = new CacheStats();
    const { lines, logger } = logLines();
    const connection = await answeringConnection({ stats, logger });
    const cache = new RedisKeyValueCache(connection, 'apq', stats);
    try {
      await cache.set('k', 'v');
      expect(await cache.get('k')).toBe('v');

      redis.freeze();
      const first = await timed(() => cache.get('k'));
      expect(first.value).toBeUndefined();
      expect(first.ms).toBeLessThan(BOUND_MS);
      expect(connection.isReady).toBe(false);
      // Every later call is skipped without waiting for a deadline of its own.
      const burst = await timed(() => Promise.all(Array.from({ length: 50 }, (_, i) => cache.get(`k${i}`))));
      expect(burst.value.every((value) => value === undefined)).toBe(true);
      expect(burst.ms).toBeLessThan(BOUND_MS);
      expect(stats.snapshot().apq?.errors).toBeGreaterThanOrEqual(51);

      redis.thaw();
      await waitFor(() => connection.isReady, 'the connection to answer again', 10_000);
      expect(await cache.get('k')).toBe('v');
      // One line when it stopped answering, one when it came back: not one per request.
      const transitions = lines.filter((line) => line.msg.startsWith('redis ')).map((line) => line.msg);
      expect(transitions).toEqual(['redis connected; caches on', `redis did not answer within ${DEADLINE_MS} ms; serving without caches until it answers again`, 'redis answering again; caches resumed']);
    } finally {
      await connection.close();
    }
  });

  it('notices a freeze without any traffic, so the first request after it does not wait either', async () => {
    // A long deadline, so that answering well within it can only mean the call never went to Redis.
    const deadlineMs = 1_000;
    const connection = await answeringConnection({ deadlineMs });
    try {
      redis.freeze();
      await waitFor(() => !connection.isReady, 'the heartbeat to notice', 10_000);
      const call = await timed(() => connection.run('apq', (client) => client.get('anything')));
      expect(call.value).toBeUndefined();
      expect(call.ms).toBeLessThan(deadlineMs / 2);
    } finally {
      redis.thaw();
      await connection.close();
    }
  });

  it('bounds a call of several commands as a whole, not per command', async () => {
    const connection = await answeringConnection();
    try {
      redis.freeze();
      const call = await timed(() =>
        connection.run('entities', async (client) => {
          await client.get('a');
          await client.get('b');
          return client.get('c');
        }),
      );
      expect(call.value).toBeUndefined();
      expect(call.ms).toBeLessThan(BOUND_MS);
    } finally {
      redis.thaw();
      await connection.close();
    }
  });

  it('starts while Redis is frozen without waiting, serves uncached, and caches once Redis answers', async () => {
    redis.freeze();
    const stats = new CacheStats();
    const connection = new RedisConnection({ url: redis.url, keyPrefix: `test:${randomUUID()}:`, commandTimeoutMs: DEADLINE_MS, logger: createLogger({ service: 'redis-test', level: 'silent' }), stats });
    try {
      const call = await timed(() => connection.run('apq', (client) => client.get('x')));
      expect(call.value).toBeUndefined();
      expect(call.ms).toBeLessThan(BOUND_MS);
      redis.thaw();
      await waitFor(() => connection.isReady, 'the connection to answer after the thaw', 10_000);
      expect(await connection.run('apq', (client) => client.set(connection.key('x'), '1'))).toBe('OK');
    } finally {
      await connection.close();
    }
  });

  it('closes within the deadline while Redis is frozen', async () => {
    const connection = await answeringConnection();
    connection.subscribe('channel', () => undefined);
    redis.freeze();
    // A command the frozen server owes an answer: a graceful close would wait for it.
    const pending = connection.run('apq', (client) => client.get('owed'));
    const closing = await timed(() => connection.close());
    expect(closing.ms).toBeLessThan(BOUND_MS);
    expect(await pending).toBeUndefined();
  });

  it('replaces a client whose handshake never completes (a partition: connected, and no answer or error ever comes)', async () => {
    // Accepts connections and never says a word: unlike a frozen Redis, it will never answer either.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const connection = new RedisConnection({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'test:', commandTimeoutMs: DEADLINE_MS, logger: createLogger({ service: 'redis-test', level: 'silent' }), stats: new CacheStats() });
    try {
      const call = await timed(() => connection.run('apq', (client) => client.get('x')));
      expect(call.value).toBeUndefined();
      expect(call.ms).toBeLessThan(BOUND_MS);
      // The watchdog gives a handshake 5 s, then tries a fresh connection.
      await waitFor(() => sockets.length >= 2, 'a second connection attempt', 15_000, 100);
    } finally {
      await connection.close();
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
