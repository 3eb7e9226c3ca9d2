import { randomUUID } from 'node:crypto';
import { createMetricsRegistry, type Registry } from '@storefront/telemetry';
import { waitFor } from '@storefront/testing';
import { silentLogger } from '@storefront/testing';
import { startPrivateRedis, type PrivateRedis } from '../../../tests/support/private-redis.ts';
import { DEFAULT_LOGIN_THROTTLE_POLICY, TOO_MANY_ATTEMPTS } from './login-throttle.ts';
import { openLoginThrottle } from './login-throttle-settings.ts';

/*
 * The login throttle as accounts opens it, on a redis-server of the test's own that is frozen (SIGSTOP): it keeps
 * the connection and never answers, which a refused connection or ioredis's offline queue never shows.
 */

/** Generous next to the store's 500 ms deadline, and far below waiting for Redis to thaw. */
const BOUND_MS = 2_000;

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startPrivateRedis();
});
afterEach(() => redis.thaw());
afterAll(async () => {
  await redis?.stop();
});

function recordingLogger() {
  const lines: string[] = [];
  const logger = Object.assign(Object.create(silentLogger) as typeof silentLogger, {
    warn: (...args: unknown[]) => lines.push(`warn ${String(args.at(-1))}`),
    info: (...args: unknown[]) => lines.push(`info ${String(args.at(-1))}`),
  });
  return { lines, logger };
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

async function metric(registry: Registry, name: string): Promise<number | undefined> {
  return (await registry.getSingleMetric(name)?.get())?.values[0]?.value;
}

const policy = { ...DEFAULT_LOGIN_THROTTLE_POLICY, accountFromAddress: { ...DEFAULT_LOGIN_THROTTLE_POLICY.accountFromAddress, freeFailures: 3 } };

describe('the login throttle while Redis is frozen', () => {
  it('answers every attempt within its deadline, keeps throttling in the process, and counts in Redis again once it thaws', async () => {
    const { lines, logger } = recordingLogger();
    const keyPrefix = `test-frozen-throttle:${randomUUID()}:`;
    const metrics = createMetricsRegistry('accounts-test', { processMetrics: false });
    const throttle = await openLoginThrottle({ redis: { host: '127.0.0.1', port: redis.port }, keyPrefix, policy }, logger, metrics);
    try {
      expect(await metric(metrics, 'accounts_login_throttle_shared')).toBe(1);
      const known = { email: `${randomUUID()}@example.com`, clientAddress: undefined };
      await throttle.admit(known);
      await throttle.succeeded(known);

      redis.freeze();
      const guesser = { email: `${randomUUID()}@example.com`, clientAddress: undefined };
      const outcomes: string[] = [];
      const all = await timed(async () => {
        for (let i = 0; i < 4; i += 1) {
          const one = await timed(() => throttle.admit(guesser).then(() => 'admitted', (error: { extensions?: { code?: string } }) => String(error.extensions?.code)));
          expect(one.ms).toBeLessThan(BOUND_MS);
          outcomes.push(one.value);
        }
        await throttle.succeeded(known);
      });
      // Four attempts and a success together: only the first call waited for its deadline, the rest not at all.
      expect(all.ms).toBeLessThan(BOUND_MS);
      // Throttling held in the process: three free failures, then a lock.
      expect(outcomes).toEqual(['admitted', 'admitted', 'admitted', TOO_MANY_ATTEMPTS]);
      expect(await metric(metrics, 'accounts_login_throttle_local_total')).toBe(5);
      expect(await metric(metrics, 'accounts_login_throttle_shared')).toBe(0);

      redis.thaw();
      const fresh = { email: `${randomUUID()}@example.com`, clientAddress: undefined };
      // Back on Redis once its new connection is ready: the counter is there.
      await waitFor(
        async () => {
          await throttle.admit(fresh);
          return lines.at(-1)?.startsWith('info') ?? false;
        },
        'the throttle to count in Redis again',
        10_000,
        100,
      );
      expect(lines).toEqual([
        'warn login throttle store unavailable: counting sign-in attempts in this process only',
        'info login throttle store answering again: counting sign-in attempts across replicas',
      ]);
      expect(await metric(metrics, 'accounts_login_throttle_shared')).toBe(1);
    } finally {
      await throttle.close();
    }
  });

  it('closes without waiting for a frozen Redis', async () => {
    const throttle = await openLoginThrottle({ redis: { host: '127.0.0.1', port: redis.port }, keyPrefix: `test-frozen-throttle:${randomUUID()}:`, policy }, silentLogger);
    redis.freeze();
    const closing = await timed(() => throttle.close());
    // Three times the deadline; ioredis's QUIT alone would wait for the thaw.
    expect(closing.ms).toBeLessThan(1_500);
  });
});
