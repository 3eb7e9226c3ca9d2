import { randomBytes } from 'node:crypto';
import { argon2OnThisThread } from './argon2.ts';
import { openPasswordHasher } from './password-hashing.ts';
import { PASSWORD_HASH_PARAMS, verifyPassword } from './passwords.ts';
import type { FixtureTask } from './worker-pool.fixture.ts';
import { PoolClosedError, PoolOverloadedError, WorkerPool, WorkerTaskError } from './worker-pool.ts';

/*
 * The worker-thread pool under jest's native ESM mode (whose transform a worker thread does not inherit: the
 * TypeScript module is loaded through worker-entry.mjs). tsx runs are checked by password-hashing-tsx.test.ts.
 */

const FIXTURE = new URL('./worker-pool.fixture.ts', import.meta.url);
const startPool = (size: number, maxQueue: number) => WorkerPool.start<FixtureTask, number>({ module: FIXTURE, size, maxQueue });

describe('the worker pool', () => {
  it('runs tasks on its threads, at most one per thread, the rest queued in order', async () => {
    const pool = await startPool(2, 10);
    try {
      const results = Promise.all([1, 2, 3, 4, 5].map((value) => pool.run({ do: 'sleep', ms: 100, value })));
      expect(pool.load).toEqual({ running: 2, queued: 3 });
      expect(await results).toEqual([1, 2, 3, 4, 5]);
      expect(pool.load).toEqual({ running: 0, queued: 0 });
    } finally {
      await pool.close();
    }
  });

  it('refuses tasks beyond its queue at once, and takes them again once there is room', async () => {
    const pool = await startPool(1, 2);
    try {
      const accepted = [1, 2, 3].map((value) => pool.run({ do: 'sleep', ms: 200, value }));
      await expect(pool.run({ do: 'echo', value: 4 })).rejects.toBeInstanceOf(PoolOverloadedError);
      expect(await Promise.all(accepted)).toEqual([1, 2, 3]);
      expect(await pool.run({ do: 'echo', value: 5 })).toBe(5);
    } finally {
      await pool.close();
    }
  });

  it("fails only the task whose worker threw or died, and replaces a dead worker", async () => {
    const pool = await startPool(1, 10);
    try {
      await expect(pool.run({ do: 'throw' })).rejects.toThrow(new WorkerTaskError('asked to fail'));
      const dying = pool.run({ do: 'exit' });
      const queued = pool.run({ do: 'echo', value: 7 });
      await expect(dying).rejects.toThrow(/exited \(code 3\) while running the task/);
      expect(await queued).toBe(7);
    } finally {
      await pool.close();
    }
  });

  it('closes cleanly: running tasks finish, queued ones are refused, then it takes no more', async () => {
    const pool = await startPool(1, 10);
    const running = pool.run({ do: 'sleep', ms: 150, value: 1 });
    const queued = pool.run({ do: 'echo', value: 2 });
    const closed = pool.close();
    await expect(queued).rejects.toBeInstanceOf(PoolClosedError);
    expect(await running).toBe(1);
    await closed;
    await pool.close(); // twice is fine
    await expect(pool.run({ do: 'echo', value: 3 })).rejects.toBeInstanceOf(PoolClosedError);
  });

  it('fails to start when its module cannot load', async () => {
    await expect(WorkerPool.start({ module: new URL('./no-such-worker.ts', import.meta.url), size: 1, maxQueue: 1 })).rejects.toThrow();
  });
});

describe('password hashing in worker threads', () => {
  it('computes exactly what the request thread computes', async () => {
    const { hasher, close } = await openPasswordHasher({ where: 'worker-threads', threads: 2, maxQueue: 8 });
    try {
      const stored = await hasher.hash('correct horse battery staple');
      expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
      // Made in a worker, checked on this thread, and the other way round.
      expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
      expect(await hasher.verify('correct horse battery staple', stored)).toBe(true);
      expect(await hasher.verify('correct horse battery stapler', stored)).toBe(false);
      expect(await hasher.verifyOrDecoy('anything', null)).toBe(false);

      const { memorySize, iterations, parallelism, hashLength } = PASSWORD_HASH_PARAMS;
      const input = { password: 'p', salt: randomBytes(16), memorySize, iterations, parallelism, hashLength };
      const pool = await WorkerPool.start<typeof input, Uint8Array>({ module: new URL('./argon2-worker.ts', import.meta.url), size: 1, maxQueue: 1 });
      try {
        expect(Buffer.from(await pool.run(input))).toEqual(Buffer.from(await argon2OnThisThread(input)));
      } finally {
        await pool.close();
      }
    } finally {
      await close();
    }
  });

  it('answers SERVICE_UNAVAILABLE with retryAfterSeconds when every thread and the queue are busy', async () => {
    const { hasher, close } = await openPasswordHasher({ where: 'worker-threads', threads: 1, maxQueue: 1 });
    try {
      const results = await Promise.allSettled([1, 2, 3, 4].map((i) => hasher.hash(`password number ${i}`)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as { extensions?: unknown }] : []));
      expect(refused.map((error) => error.extensions)).toEqual([
        { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 },
        { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 },
      ]);
    } finally {
      await close();
    }
  });
});
