import { argon2id } from 'hash-wasm';

/*
 * One argon2id computation, the 70 ms of CPU behind every sign-up and sign-in. It runs in the password worker
 * threads (argon2-worker.ts) so the request thread stays free; the seed script and tests may run it in place.
 */

/** What one argon2id run needs; the password is already normalised (NFKC) by the caller. */
export interface Argon2Input {
  password: string;
  salt: Uint8Array;
  memorySize: number;
  iterations: number;
  parallelism: number;
  hashLength: number;
}

/** Runs argon2id somewhere (this thread, a worker pool) and answers the raw hash. */
export type Argon2 = (input: Argon2Input) => Promise<Uint8Array>;

/** argon2id on the calling thread: it blocks that thread for the whole computation. */
export const argon2OnThisThread: Argon2 = (input) => argon2id({ ...input, outputType: 'binary' });
