import { createSecretKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createPgPool } from '@storefront/prisma-tools';
import { startTestSubgraph, type TestSubgraph } from '@storefront/testing';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { es256Signing, type AccessTokenSettings } from './access-tokens.ts';
import { JWKS_PATH, start } from './index.ts';

/*
 * Sign-up, login, refresh-token rotation with reuse detection, and logout, over HTTP against accounts on a
 * fresh database. Tokens are ES256 here, so the published JWKS is what verifies them.
 */

let settings: AccessTokenSettings;
let accounts: TestSubgraph;
beforeAll(async () => {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  settings = { issuer: 'test-accounts', audience: 'test-store', ttlSeconds: 900, refreshTtlSeconds: 3_600, signing: await es256Signing(pem) };
  accounts = await startTestSubgraph(fileURLToPath(new URL('..', import.meta.url)), (config, logger) => start(config, logger, { accessTokens: settings }));
});
afterAll(() => accounts?.close());

interface Session {
  accessToken: string | null;
  refreshToken: string | null;
  expiresAt: string | null;
  user: { id: string; email: string; name: string; roles: string[] } | null;
  errors: Array<{ path: string[]; code: string; message: string }>;
}
const SESSION = 'accessToken refreshToken expiresAt user { id email name roles } errors { path code message }';

const signUp = async (input: Record<string, unknown>) =>
  (await accounts.query<{ signUp: Session }>(`mutation ($input: SignUpInput!) { signUp(input: $input) { ${SESSION} } }`, { input })).body.data!.signUp;
const logIn = async (email: string, password: string) =>
  (await accounts.query<{ logIn: Session }>(`mutation ($input: LogInInput!) { logIn(input: $input) { ${SESSION} } }`, { input: { email, password } })).body.data!
    .logIn;
const refresh = async (refreshToken: string) =>
  (await accounts.query<{ refreshSession: Session }>(`mutation ($t: String!) { refreshSession(refreshToken: $t) { ${SESSION} } }`, { t: refreshToken })).body
    .data!.refreshSession;
const logOut = async (refreshToken: string) =>
  (await accounts.query<{ logOut: Session }>(`mutation ($t: String!) { logOut(refreshToken: $t) { ${SESSION} } }`, { t: refreshToken })).body.data!.logOut;

const PASSWORD = 'a long enough passphrase';
const newEmail = () => `user-${randomUUID().slice(0, 8)}@Example.com`;

async function verifyAccessToken(token: string) {
  const jwks = (await (await fetch(accounts.subgraph.url.replace('/graphql', JWKS_PATH))).json()) as Parameters<typeof createLocalJWKSet>[0];
  return jwtVerify(token, createLocalJWKSet(jwks), { issuer: 'test-accounts', audience: 'test-store', algorithms: ['ES256'] });
}

describe('signing up', () => {
  it('creates a customer, stores only an argon2id hash and returns a verifiable session', async () => {
    const email = newEmail();
    const session = await signUp({ email, password: PASSWORD, name: '  Ada  ' });
    expect(session.errors).toEqual([]);
    expect(session.user).toMatchObject({ email: email.toLowerCase(), name: 'Ada', roles: ['CUSTOMER'] });
    const { payload, protectedHeader } = await verifyAccessToken(session.accessToken!);
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });
    expect(payload).toMatchObject({ sub: session.user!.id, roles: ['CUSTOMER'], scope: 'orders:read orders:write reviews:write', iss: 'test-accounts', aud: 'test-store' });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(typeof payload.jti).toBe('string');
    expect(new Date(session.expiresAt!).getTime()).toBe(payload.exp! * 1000);
    expect(session.refreshToken).toMatch(/^[\w-]{43}$/);

    const pool = createPgPool({ connectionString: accounts.database.url, max: 1 });
    try {
      const { rows } = await pool.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [session.user!.id]);
      expect(rows[0]?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      const tokens = await pool.query<{ token_hash: string }>('SELECT token_hash FROM refresh_tokens WHERE user_id = $1', [session.user!.id]);
      expect(tokens.rows).toHaveLength(1);
      expect(tokens.rows[0]?.token_hash).not.toContain(session.refreshToken);
    } finally {
      await pool.end();
    }
  });

  it('refuses weak passwords, bad emails and taken emails with field errors', async () => {
    const weak = await signUp({ email: 'not-an-email', password: 'short', name: '' });
    expect(weak.accessToken).toBeNull();
    expect(weak.errors.map(({ path, code }) => [path.join('.'), code]).sort()).toEqual([
      ['input.email', 'INVALID'],
      ['input.name', 'TOO_SHORT'],
      ['input.password', 'TOO_SHORT'],
    ]);
    const email = newEmail();
    expect((await signUp({ email, password: PASSWORD, name: 'First' })).errors).toEqual([]);
    const taken = await signUp({ email: email.toUpperCase(), password: PASSWORD, name: 'Second' });
    expect(taken.errors).toEqual([{ path: ['input', 'email'], code: 'ALREADY_EXISTS', message: expect.any(String) }]);
  });
});

describe('logging in', () => {
  it('signs in with the right password, whatever the email case', async () => {
    const email = newEmail();
    const { user } = await signUp({ email, password: PASSWORD, name: 'Grace' });
    const session = await logIn(email.toUpperCase(), PASSWORD);
    expect(session.errors).toEqual([]);
    expect(session.user?.id).toBe(user!.id);
    expect((await verifyAccessToken(session.accessToken!)).payload.sub).toBe(user!.id);
  });

  it('answers a wrong password and an unknown email with the same error', async () => {
    const email = newEmail();
    await signUp({ email, password: PASSWORD, name: 'Linus' });
    const wrong = await logIn(email, 'not the passphrase');
    const unknown = await logIn(newEmail(), PASSWORD);
    expect(wrong).toEqual({ accessToken: null, refreshToken: null, expiresAt: null, user: null, errors: [{ path: ['input'], code: 'INVALID', message: 'Email or password is incorrect' }] });
    expect(unknown).toEqual(wrong);
  });

  it('refuses seeded or imported accounts that have no password', async () => {
    const pool = createPgPool({ connectionString: accounts.database.url, max: 1 });
    const email = newEmail().toLowerCase();
    await pool.query("INSERT INTO users (id, email, name) VALUES ($1, $2, 'Imported')", [randomUUID(), email]);
    await pool.end();
    expect((await logIn(email, PASSWORD)).errors[0]?.code).toBe('INVALID');
  });
});

describe('refresh tokens', () => {
  it('rotate on every refresh: the new pair works, the old refresh token does not', async () => {
    const first = await signUp({ email: newEmail(), password: PASSWORD, name: 'Rotating' });
    const second = await refresh(first.refreshToken!);
    expect(second.errors).toEqual([]);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.user?.id).toBe(first.user!.id);
    expect((await verifyAccessToken(second.accessToken!)).payload.sub).toBe(first.user!.id);
    const third = await refresh(second.refreshToken!);
    expect(third.errors).toEqual([]);
    expect((await refresh(first.refreshToken!)).accessToken).toBeNull();
  });

  it('revoke the whole family when a rotated token is used again (theft detection)', async () => {
    const original = await signUp({ email: newEmail(), password: PASSWORD, name: 'Victim' });
    const legitimate = await refresh(original.refreshToken!);
    // A thief replays the token the client already exchanged…
    const replay = await refresh(original.refreshToken!);
    expect(replay.accessToken).toBeNull();
    expect(replay.errors).toEqual([{ path: ['refreshToken'], code: 'INVALID', message: expect.stringContaining('already used') }]);
    // …so the legitimate client's current token is revoked too and both must sign in again.
    const after = await refresh(legitimate.refreshToken!);
    expect(after.accessToken).toBeNull();
    expect(after.errors[0]?.code).toBe('INVALID');
  });

  it('let exactly one of two concurrent refreshes with one token succeed', async () => {
    const session = await signUp({ email: newEmail(), password: PASSWORD, name: 'Racer' });
    const results = await Promise.all([refresh(session.refreshToken!), refresh(session.refreshToken!)]);
    expect(results.filter((result) => result.accessToken !== null)).toHaveLength(1);
  });

  it('do not touch other sessions of the same user', async () => {
    const email = newEmail();
    const laptop = await signUp({ email, password: PASSWORD, name: 'Two devices' });
    const phone = await logIn(email, PASSWORD);
    await refresh(laptop.refreshToken!);
    await refresh(laptop.refreshToken!); // reuse: the laptop's family is revoked
    expect((await refresh(phone.refreshToken!)).errors).toEqual([]);
  });

  it('refuse unknown and malformed tokens', async () => {
    expect((await refresh('A'.repeat(43))).errors[0]).toMatchObject({ path: ['refreshToken'], code: 'INVALID' });
    expect((await refresh('nope')).errors[0]).toMatchObject({ path: ['refreshToken'], code: 'INVALID' });
  });
});

describe('logging out', () => {
  it('revokes the session: its refresh token no longer refreshes, and logging out twice is fine', async () => {
    const session = await signUp({ email: newEmail(), password: PASSWORD, name: 'Leaving' });
    const rotated = await refresh(session.refreshToken!);
    expect(await logOut(rotated.refreshToken!)).toEqual({ accessToken: null, refreshToken: null, expiresAt: null, user: null, errors: [] });
    expect((await refresh(rotated.refreshToken!)).errors[0]).toMatchObject({ code: 'INVALID', message: expect.stringContaining('ended') });
    expect((await logOut(rotated.refreshToken!)).errors).toEqual([]);
  });
});

describe('the published key set', () => {
  it('holds the public key only, under the kid tokens carry', async () => {
    const response = await fetch(accounts.subgraph.url.replace('/graphql', JWKS_PATH));
    expect(response.status).toBe(200);
    const { keys } = (await response.json()) as { keys: Array<Record<string, string>> };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');
    const session = await signUp({ email: newEmail(), password: PASSWORD, name: 'Keys' });
    expect(decodeProtectedHeader(session.accessToken!).kid).toBe(keys[0]?.kid);
  });

  it('is empty for HS256 development secrets, which must never be published', async () => {
    const { createAccessTokenIssuer } = await import('./access-tokens.ts');
    const hs = createAccessTokenIssuer({ ...settings, signing: { algorithm: 'HS256', secret: createSecretKey(Buffer.from('x'.repeat(32))) } });
    expect(hs.jwks()).toEqual({ keys: [] });
  });
});
