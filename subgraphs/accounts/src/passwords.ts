import { randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { argon2OnThisThread, type Argon2, type Argon2Input } from './argon2.ts';

/*
 * Passwords are stored as argon2id hashes in the PHC string format
 * (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), so parameters can be raised later and old hashes still
 * verify with the parameters they were made with.
 */

/** OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): about 70 ms here, memory-hard against GPUs. */
export const PASSWORD_HASH_PARAMS = { memorySize: 19_456, iterations: 2, parallelism: 1, hashLength: 32, saltLength: 16 } as const;

/** Long passphrases are welcome; the cap only bounds the work one request can cause. */
export const passwordSchema = z
  .string()
  .min(10, 'Use at least 10 characters')
  .max(256, 'Use at most 256 characters')
  .refine((value) => value.trim().length === value.length, 'Remove spaces at the start and end')
  .refine((value) => new Set(value).size >= 4, 'Use a less repetitive password');

/** How many argon2id computations this process has asked for: lets tests check that every login path pays one. */
export const argon2idRuns = { count: 0 };

/** Hashes and checks passwords; where the argon2id work runs is the Argon2 it was made with. */
export interface PasswordHasher {
  /** A new PHC string with a fresh salt and the current parameters. */
  hash(password: string): Promise<string>;
  /**
   * Recomputes the hash with the stored salt and parameters and compares in constant time (hash-wasm's own
   * argon2Verify compares strings with ===). A malformed stored hash never matches.
   */
  verify(password: string, stored: string): Promise<boolean>;
  /**
   * Checks a password for an account that may not exist or has no password: the work (one argon2id run with
   * the current parameters) is the same as for a wrong password, so response times do not reveal which emails
   * exist.
   */
  verifyOrDecoy(password: string, stored: string | null | undefined): Promise<boolean>;
}

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** PHC strings carry base64 without padding. */
const phcBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64').replace(/=+$/, '');

export function createPasswordHasher(argon2: Argon2): PasswordHasher {
  const run = (input: Argon2Input) => {
    argon2idRuns.count += 1;
    return argon2(input);
  };
  let decoy: Promise<string> | undefined;

  async function hash(password: string): Promise<string> {
    const { memorySize, iterations, parallelism, hashLength, saltLength } = PASSWORD_HASH_PARAMS;
    const salt = randomBytes(saltLength);
    const output = await run({ password: password.normalize('NFKC'), salt, memorySize, iterations, parallelism, hashLength });
    return `$argon2id$v=19$m=${memorySize},t=${iterations},p=${parallelism}$${phcBase64(salt)}$${phcBase64(output)}`;
  }

  async function verify(password: string, stored: string): Promise<boolean> {
    const match = PHC.exec(stored);
    if (!match) return false;
    const [, memory, iterations, parallelism, salt, expectedHash] = match;
    const expected = Buffer.from(expectedHash ?? '', 'base64');
    const actual = await run({
      password: password.normalize('NFKC'),
      salt: Buffer.from(salt ?? '', 'base64'),
      memorySize: Number(memory),
      iterations: Number(iterations),
      parallelism: Number(parallelism),
      hashLength: expected.length,
    });
    return expected.length > 0 && actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  async function verifyOrDecoy(password: string, stored: string | null | undefined): Promise<boolean> {
    if (stored) return verify(password, stored);
    // A failed decoy is not kept: the next unknown e-mail tries again rather than failing forever.
    decoy ??= hash(randomBytes(32).toString('base64')).catch((error: unknown) => {
      decoy = undefined;
      throw error;
    });
    await verify(password, await decoy);
    return false;
  }

  return { hash, verify, verifyOrDecoy };
}

/**
 * Hashing on the calling thread, for the seed script and tests. The subgraph hashes in its worker threads
 * (password-hashing.ts): 70 ms of argon2id here would stall every other request of the process.
 */
const onThisThread = createPasswordHasher(argon2OnThisThread);
export const { hash: hashPassword, verify: verifyPassword, verifyOrDecoy: verifyPasswordOrDecoy } = onThisThread;
