import { availableParallelism } from 'node:os';
import { ErrorCode } from '@storefront/api-conventions';
import { loadConfig } from '@storefront/config';
import { GraphQLError } from 'graphql';
import { z } from 'zod';
import { argon2OnThisThread, type Argon2, type Argon2Input } from './argon2.ts';
import { createPasswordHasher, type PasswordHasher } from './passwords.ts';
import { PoolOverloadedError, WorkerPool } from './worker-pool.ts';

/*
 * Where accounts runs argon2id. Each run takes ~70 ms of CPU; on the request thread a burst of sign-ins would
 * freeze every other request of the process (User lookups for the whole store) for 70 ms per sign-in. A pool
 * of worker threads takes that work off the request thread.
 */

export type PasswordHashingSettings =
  /** The default: a pool of `threads` workers with at most `maxQueue` hashes waiting for one. */
  | { where: 'worker-threads'; threads: number; maxQueue: number }
  /** On the request thread, as before the pool: only to compare against (tests) or for one-off tools. */
  | { where: 'request-thread' };

export interface OpenPasswordHasher {
  hasher: PasswordHasher;
  /** Lets running hashes finish, then stops the threads. */
  close(): Promise<void>;
}

// Beside this module, in its language: src/argon2-worker.ts under tsx, dist/argon2-worker.js when compiled.
const ARGON2_WORKER = new URL(`./argon2-worker${import.meta.url.slice(import.meta.url.lastIndexOf('.'))}`, import.meta.url);

/** One core is left to the request thread; hashing gets the rest, and at least one thread. */
export const defaultHashThreads = () => Math.max(1, availableParallelism() - 1);

/**
 * PASSWORD_HASH_THREADS (cores − 1, at least 1) and PASSWORD_HASH_QUEUE (64: how many hashes may wait for a
 * thread; with one thread that is about 4.5 s of work, within the router's subgraph timeout).
 */
export function loadPasswordHashingSettings(env: NodeJS.ProcessEnv = process.env): PasswordHashingSettings {
  const parsed = loadConfig(
    'accounts',
    z.object({
      PASSWORD_HASH_THREADS: z.coerce.number().int().min(1).max(64).default(defaultHashThreads()),
      PASSWORD_HASH_QUEUE: z.coerce.number().int().min(0).max(10_000).default(64),
    }),
    env,
  );
  return { where: 'worker-threads', threads: parsed.PASSWORD_HASH_THREADS, maxQueue: parsed.PASSWORD_HASH_QUEUE };
}

/** The refusal of a sign-up or sign-in that found every hashing thread and the queue busy. */
function hashingBusy(): GraphQLError {
  return new GraphQLError('Too many sign-ins at once; try again in a moment', {
    extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, retryAfterSeconds: 1 },
  });
}

export async function openPasswordHasher(settings: PasswordHashingSettings): Promise<OpenPasswordHasher> {
  switch (settings.where) {
    case 'request-thread':
      return { hasher: createPasswordHasher(argon2OnThisThread), close: async () => {} };
    case 'worker-threads': {
      const pool = await WorkerPool.start<Argon2Input, Uint8Array>({ module: ARGON2_WORKER, size: settings.threads, maxQueue: settings.maxQueue });
      const inPool: Argon2 = (input) =>
        // A copy of the salt: a small Buffer is a view of Node's shared 8 KB pool, all of which would be cloned.
        pool.run({ ...input, salt: new Uint8Array(input.salt) }).catch((error: unknown) => {
          throw error instanceof PoolOverloadedError ? hashingBusy() : error;
        });
      return { hasher: createPasswordHasher(inPool), close: () => pool.close() };
    }
  }
}
