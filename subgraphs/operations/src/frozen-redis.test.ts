import { randomUUID } from 'node:crypto';
import { waitFor } from '@storefront/testing';
import { postGraphQL, signTestIdentity, silentLogger, TEST_TRUSTED_SIGNERS, type TestViewer } from '@storefront/testing';
import { startPrivateRedis, type PrivateRedis } from '../../../tests/support/private-redis.ts';
import { REDIS_DEADLINE_MS, start, type RunningOperations } from './index.ts';

/*
 * The operations subgraph on a redis-server of the test's own, frozen with SIGSTOP (connected, never
 * answering), where BullMQ and ioredis alone wait for it indefinitely.
 */

const admin: TestViewer = { userId: randomUUID(), roles: ['ADMIN', 'CUSTOMER'] };
/** Twice the deadline: generous for a loaded machine, far from waiting for Redis to thaw. */
const BOUND_MS = 2 * REDIS_DEADLINE_MS;

let redis: PrivateRedis;
let operations: RunningOperations;

beforeAll(async () => {
  redis = await startPrivateRedis();
  operations = await start(
    {
      http: { nodeEnv: 'test', host: '127.0.0.1', port: 0, maxBodyBytes: 1_000_000, trustedSigners: TEST_TRUSTED_SIGNERS },
      logLevel: 'silent',
      logFormat: 'json',
      queues: { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null }, prefix: `test-${randomUUID()}` },
    },
    silentLogger,
  );
});
afterEach(() => redis.thaw());
afterAll(async () => {
  redis?.thaw();
  await operations?.close();
  await redis?.stop();
});

const queues = () => postGraphQL<{ queues: Array<{ name: string }> | null }>(operations.url, { query: '{ queues { name deadLetters } }' }, { token: signTestIdentity('operations', admin) });
const ready = () => fetch(operations.url.replace('/graphql', '/ready')).then((response) => response.status);

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe('the operations subgraph while Redis is frozen', () => {
  it('answers queue queries with SERVICE_UNAVAILABLE and /ready with 503 within the deadline, and answers again after the thaw', async () => {
    expect((await queues()).body.data?.queues?.length).toBeGreaterThan(0);
    expect(await ready()).toBe(200);

    redis.freeze();
    const refused = await timed(queues);
    expect(refused.ms).toBeLessThan(BOUND_MS);
    expect(refused.value.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    const probe = await timed(ready);
    expect(probe.ms).toBeLessThan(BOUND_MS);
    expect(probe.value).toBe(503);

    redis.thaw();
    await waitFor(async () => (await queues()).body.data?.queues !== null, 'the queues to answer after the thaw', 10_000, 100);
    expect(await ready()).toBe(200);
  });

  it('shuts down within the deadline while Redis is frozen', async () => {
    const another = await start(
      {
        http: { nodeEnv: 'test', host: '127.0.0.1', port: 0, maxBodyBytes: 1_000_000, trustedSigners: TEST_TRUSTED_SIGNERS },
        logLevel: 'silent',
        logFormat: 'json',
        queues: { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null }, prefix: `test-${randomUUID()}` },
      },
      silentLogger,
    );
    await postGraphQL(another.url, { query: '{ queues { name deadLetters } }' }, { token: signTestIdentity('operations', admin) });
    redis.freeze();
    const closing = await timed(() => another.close());
    expect(closing.ms).toBeLessThan(BOUND_MS);
  });
});
