import { randomBytes } from 'node:crypto';
import { argon2id } from 'hash-wasm';
import { argon2idRuns, hashPassword, PASSWORD_HASH_PARAMS, passwordSchema, verifyPassword, verifyPasswordOrDecoy } from './passwords.ts';

const PASSWORD = 'correct horse battery staple';

describe('password hashing', () => {
  it('stores argon2id in PHC form with the configured memory, passes and lanes', async () => {
    const stored = await hashPassword(PASSWORD);
    const { memorySize, iterations, parallelism } = PASSWORD_HASH_PARAMS;
    expect(stored).toMatch(new RegExp(`^\\$argon2id\\$v=19\\$m=${memorySize},t=${iterations},p=${parallelism}\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}$`));
    expect(memorySize).toBeGreaterThanOrEqual(19_456);
    expect(stored).not.toContain(PASSWORD);
  });

  it('salts every hash: the same password never hashes the same twice', async () => {
    const [a, b] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);
    expect(a).not.toBe(b);
    expect(a.split('$')[4]).not.toBe(b.split('$')[4]);
    expect(await verifyPassword(PASSWORD, a)).toBe(true);
    expect(await verifyPassword(PASSWORD, b)).toBe(true);
  });

  it('accepts only the exact password and refuses tampered or malformed hashes', async () => {
    const stored = await hashPassword(PASSWORD);
    expect(await verifyPassword('correct horse battery stapl', stored)).toBe(false);
    expect(await verifyPassword(`${PASSWORD} `, stored)).toBe(false);
    const parts = stored.split('$');
    const hash = Buffer.from(parts[5] ?? '', 'base64');
    hash[0] = (hash[0] ?? 0) ^ 1;
    parts[5] = hash.toString('base64').replace(/=+$/, '');
    expect(await verifyPassword(PASSWORD, parts.join('$'))).toBe(false);
    expect(await verifyPassword(PASSWORD, 'plaintext')).toBe(false);
    expect(await verifyPassword(PASSWORD, stored.replace('$argon2id$', '$argon2i$'))).toBe(false);
  });

  it('verifies old hashes with the parameters stored in them', async () => {
    // A hash made with lighter parameters (as an older release might have) still verifies.
    const light = await argon2id({ password: PASSWORD, salt: randomBytes(16), memorySize: 1024, iterations: 1, parallelism: 1, hashLength: 32, outputType: 'encoded' });
    expect(light).toContain('m=1024,t=1,p=1');
    expect(await verifyPassword(PASSWORD, light)).toBe(true);
    expect(await verifyPassword('another password', light)).toBe(false);
  });

  it('does one full argon2id run for an unknown account, like for a wrong password', async () => {
    const stored = await hashPassword(PASSWORD);
    await verifyPasswordOrDecoy('warm up the decoy', null);
    const before = argon2idRuns.count;
    expect(await verifyPasswordOrDecoy('wrong password!', stored)).toBe(false);
    const wrongPassword = argon2idRuns.count - before;
    expect(await verifyPasswordOrDecoy('wrong password!', null)).toBe(false);
    expect(await verifyPasswordOrDecoy('wrong password!', undefined)).toBe(false);
    expect(argon2idRuns.count - before).toBe(3 * wrongPassword);
    expect(wrongPassword).toBe(1);
  });

  it('asks for long, non-trivial passwords', () => {
    expect(passwordSchema.safeParse('short1!').success).toBe(false);
    expect(passwordSchema.safeParse('aaaaaaaaaaaa').success).toBe(false);
    expect(passwordSchema.safeParse(' leading space pass').success).toBe(false);
    expect(passwordSchema.safeParse('x'.repeat(300)).success).toBe(false);
    expect(passwordSchema.safeParse(PASSWORD).success).toBe(true);
  });
});
