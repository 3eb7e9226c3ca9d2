import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { deleteQueueKeys, TEST_REDIS } from '@storefront/events/testing';
import { postGraphQL, signTestIdentity, silentLogger, startTestSubgraph, testSubgraphConfig, type TestSubgraph } from '@storefront/testing';
import type { RunningSubgraph } from '@storefront/subgraph-runtime';
import { CLIENT_ADDRESS_HEADER } from './client-address.ts';
import { start } from './index.ts';
import type { LoginThrottleSettings } from './login-throttle-settings.ts';
import { argon2idRuns } from './passwords.ts';

/*
 * logIn under throttling, over HTTP against accounts on a fresh database and the local Redis: guessing stops
 * after a few wrong passwords, the answer is the same for unknown e-mails, the counters hold across replicas,
 * and the per-address limits (once the router sends the address) keep a victim able to sign in.
 */

const PREFIX = `test-accounts-login:${randomUUID()}`;
const MINUTE_MS = 60_000;
const throttle = (name: string, firstLockMs: number): LoginThrottleSettings => ({
  redis: { host: TEST_REDIS.host, port: TEST_REDIS.port },
  keyPrefix: `${PREFIX}:${name}:`,
  policy: {
    accountFromAddress: { freeFailures: 3, firstLockMs, maxLockMs: 2 * firstLockMs, memoryMs: 10 * MINUTE_MS },
    account: { freeFailures: 8, firstLockMs, maxLockMs: 2 * firstLockMs, memoryMs: 10 * MINUTE_MS },
    address: { freeFailures: 10, firstLockMs, maxLockMs: 2 * firstLockMs, memoryMs: 10 * MINUTE_MS },
  },
});
// Locks that outlast any test's attempts on a busy machine, and short ones for the test that waits one out;
// how locks grow and where they stop is throttle-store.test.ts's to check.
const settings = throttle('long', MINUTE_MS);

let accounts: TestSubgraph;
let replica: RunningSubgraph;
let quick: RunningSubgraph;
beforeAll(async () => {
  accounts = await startTestSubgraph(fileURLToPath(new URL('..', import.meta.url)), (config, logger) => start(config, logger, { loginThrottle: settings }));
  // A second accounts process on the same database and Redis, as a second replica behind the router would be.
  replica = await start(testSubgraphConfig(accounts.database.url), silentLogger, { loginThrottle: settings });
  quick = await start(testSubgraphConfig(accounts.database.url), silentLogger, { loginThrottle: throttle('short', 2_000) });
});
afterAll(async () => {
  await Promise.all([replica?.close(), quick?.close()]);
  await accounts?.close();
  await deleteQueueKeys(PREFIX);
});

interface LogInResult {
  data: { logIn: { accessToken: string | null; errors: Array<{ code: string }> } } | null;
  errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }>;
}

const PASSWORD = 'the right passphrase';
const newEmail = () => `throttled-${randomUUID().slice(0, 8)}@example.com`;

async function logIn(email: string, password: string, options: { address?: string; via?: RunningSubgraph } = {}): Promise<LogInResult> {
  const { body } = await postGraphQL<LogInResult['data']>(
    (options.via ?? accounts.subgraph).url,
    { query: 'mutation ($input: LogInInput!) { logIn(input: $input) { accessToken errors { code } } }', variables: { input: { email, password } } },
    { token: signTestIdentity('accounts'), headers: options.address ? { [CLIENT_ADDRESS_HEADER]: options.address } : {} },
  );
  return body as LogInResult;
}

/** What an attempt came to: signed in, a wrong password (INVALID), or throttled (TOO_MANY_ATTEMPTS). */
function outcome(result: LogInResult): string {
  const error = result.errors?.[0];
  if (error) return String(error.extensions?.code);
  return result.data!.logIn.accessToken ? 'SIGNED_IN' : result.data!.logIn.errors[0]!.code;
}
const THROTTLED = 'TOO_MANY_ATTEMPTS';

async function signUp(): Promise<string> {
  const email = newEmail();
  const { body } = await accounts.query<{ signUp: { errors: unknown[] } }>('mutation ($input: SignUpInput!) { signUp(input: $input) { errors { code } } }', {
    input: { email, password: PASSWORD, name: 'Throttled' },
  });
  expect(body.data!.signUp.errors).toEqual([]);
  return email;
}

const sleep = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1_000));

describe('guessing a password', () => {
  it('is refused after a few wrong passwords, even with the right one', async () => {
    const email = await signUp();
    const outcomes: string[] = [];
    for (let i = 0; i < 25; i += 1) outcomes.push(outcome(await logIn(email, `wrong guess ${i}`)));
    expect(outcomes.slice(0, 3)).toEqual(['INVALID', 'INVALID', 'INVALID']);
    expect(new Set(outcomes.slice(3))).toEqual(new Set([THROTTLED]));

    const rightButLocked = await logIn(email, PASSWORD);
    expect(rightButLocked.data).toBeNull();
    expect(rightButLocked.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/^Too many sign-in attempts; try again in \d+ s$/),
        path: ['logIn'],
        extensions: { code: THROTTLED, retryAfterSeconds: expect.any(Number) },
      }),
    ]);
    const retryAfterSeconds = Number(rightButLocked.errors![0]!.extensions!.retryAfterSeconds);
    expect(retryAfterSeconds).toBeGreaterThan(50);
    expect(retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it('signs in with the right password once the lock has ended, and then starts the count over', async () => {
    const email = await signUp();
    for (let i = 0; i < 3; i += 1) expect(outcome(await logIn(email, `guess ${i}`, { via: quick }))).toBe('INVALID');
    const locked = await logIn(email, PASSWORD, { via: quick });
    expect(outcome(locked)).toBe(THROTTLED);
    await sleep(Number(locked.errors![0]!.extensions!.retryAfterSeconds) + 0.1);
    expect(outcome(await logIn(email, PASSWORD, { via: quick }))).toBe('SIGNED_IN');
    for (let i = 0; i < 3; i += 1) expect(outcome(await logIn(email, 'wrong again', { via: quick }))).toBe('INVALID');
    expect(outcome(await logIn(email, 'wrong again', { via: quick }))).toBe(THROTTLED);
  });

  it('answers an unknown e-mail exactly as a known one, and spends the same work on it', async () => {
    const known = await signUp();
    const unknown = newEmail();
    await logIn(newEmail(), 'makes the decoy hash this process keeps for unknown e-mails');
    const run = async (email: string) => {
      const before = argon2idRuns.count;
      const outcomes: string[] = [];
      for (let i = 0; i < 6; i += 1) outcomes.push(outcome(await logIn(email, `guess ${i}`)));
      return { outcomes, argon2idRuns: argon2idRuns.count - before };
    };
    const forKnown = await run(known);
    expect(forKnown).toEqual({ outcomes: ['INVALID', 'INVALID', 'INVALID', THROTTLED, THROTTLED, THROTTLED], argon2idRuns: 3 });
    expect(await run(unknown)).toEqual(forKnown);
  });

  it('admits no more guesses in a concurrent burst than one by one', async () => {
    const email = await signUp();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => logIn(email, `burst ${i}`)));
    expect(results.map(outcome).filter((o) => o === 'INVALID')).toHaveLength(3);
  });

  it('counts the attempts of every replica together', async () => {
    const email = await signUp();
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i += 1) outcomes.push(outcome(await logIn(email, `guess ${i}`, { via: i % 2 === 0 ? accounts.subgraph : replica })));
    expect(outcomes).toEqual(['INVALID', 'INVALID', 'INVALID', THROTTLED, THROTTLED]);
    expect(outcome(await logIn(email, PASSWORD, { via: replica }))).toBe(THROTTLED);
  });
});

describe('with the client address the router sends', () => {
  it('keeps the owner able to sign in from elsewhere while an attacker is locked', async () => {
    const email = await signUp();
    for (let i = 0; i < 3; i += 1) expect(outcome(await logIn(email, `guess ${i}`, { address: '203.0.113.7' }))).toBe('INVALID');
    expect(outcome(await logIn(email, 'guess', { address: '203.0.113.7' }))).toBe(THROTTLED);
    expect(outcome(await logIn(email, PASSWORD, { address: '198.51.100.20' }))).toBe('SIGNED_IN');
  });

  it('slows an account down that many addresses guess at', async () => {
    const email = await signUp();
    const outcomes: string[] = [];
    for (let i = 0; i < 9; i += 1) outcomes.push(outcome(await logIn(email, `guess ${i}`, { address: `192.0.2.${i + 1}` })));
    expect(outcomes.slice(0, 8)).toEqual(Array.from({ length: 8 }, () => 'INVALID'));
    expect(outcomes[8]).toBe(THROTTLED);
  });

  it('stops one address from spraying a password over many e-mails, known or not', async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i += 1) outcomes.push(outcome(await logIn(newEmail(), 'Summer2026!', { address: '2001:db8:aa:bb::1' })));
    expect(outcomes).toEqual(Array.from({ length: 10 }, () => 'INVALID'));
    // Another address in the same /64 is the same subscriber; a different /64 is someone else.
    expect(outcome(await logIn(newEmail(), 'Summer2026!', { address: '2001:db8:aa:bb:ffff::2' }))).toBe(THROTTLED);
    expect(outcome(await logIn(newEmail(), 'Summer2026!', { address: '2001:db8:aa:cc::1' }))).toBe('INVALID');
  });

  it("does not let a sign-in to one's own account wipe an address's failures", async () => {
    const own = await signUp();
    const address = '198.51.100.99';
    for (let i = 0; i < 9; i += 1) expect(outcome(await logIn(newEmail(), 'guess', { address }))).toBe('INVALID');
    expect(outcome(await logIn(own, PASSWORD, { address }))).toBe('SIGNED_IN');
    expect(outcome(await logIn(newEmail(), 'guess', { address }))).toBe('INVALID');
    expect(outcome(await logIn(newEmail(), 'guess', { address }))).toBe(THROTTLED);
  });
});
