import { randomBytes, timingSafeEqual } from 'node:crypto';
import { argon2id } from 'hash-wasm';
import { z } from 'zod';

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

/** How many argon2id computations this process has run: lets tests check that every login path pays one. */
export const argon2idRuns = { count: 0 };

export async function hashPassword(password: string): Promise<string> {
  argon2idRuns.count += 1;
  return argon2id({
    password: password.normalize('NFKC'),
    salt: randomBytes(PASSWORD_HASH_PARAMS.saltLength),
    memorySize: PASSWORD_HASH_PARAMS.memorySize,
    iterations: PASSWORD_HASH_PARAMS.iterations,
    parallelism: PASSWORD_HASH_PARAMS.parallelism,
    hashLength: PASSWORD_HASH_PARAMS.hashLength,
    outputType: 'encoded',
  });
}

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/**
 * Recomputes the hash with the stored salt and parameters and compares in constant time (hash-wasm's own
 * argon2Verify compares strings with ===). A malformed stored hash never matches.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = PHC.exec(stored);
  if (!match) return false;
  const [, memory, iterations, parallelism, salt, hash] = match;
  const expected = Buffer.from(hash ?? '', 'base64');
  argon2idRuns.count += 1;
  const actual = await argon2id({
    password: password.normalize('NFKC'),
    salt: Buffer.from(salt ?? '', 'base64'),
    memorySize: Number(memory),
    iterations: Number(iterations),
    parallelism: Number(parallelism),
    hashLength: expected.length,
    outputType: 'binary',
  });
  return expected.length > 0 && timingSafeEqual(Buffer.from(actual), expected);
}

let decoy: Promise<string> | undefined;

/**
 * Checks a password for an account that may not exist or has no password: the work (one argon2id run with the
 * current parameters) is the same as for a wrong password, so response times do not reveal which emails exist.
 */
export async function verifyPasswordOrDecoy(password: string, stored: string | null | undefined): Promise<boolean> {
  if (stored) return verifyPassword(password, stored);
  decoy ??= hashPassword(randomBytes(32).toString('base64'));
  await verifyPassword(password, await decoy);
  return false;
}
