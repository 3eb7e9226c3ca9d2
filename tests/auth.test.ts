import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { nameBasedUuid } from '@storefront/api-conventions';
import { createInternalIdentitySigner, viewerWithRoles } from '@storefront/identity';
import { SEED_DEMO_PASSWORD, SeedNamespace, type SeedPlan } from '@storefront/seed-world';
import { signTestIdentity } from '@storefront/testing';
import { SignJWT } from 'jose';
import { DEFAULT_PROTECTION, startRouter } from '@storefront/router';
import { postGraphQL, startStack, type TestStack } from './support/stack.ts';

/*
 * Authentication end to end: accounts issues tokens, the router verifies them and vouches for the caller to
 * each subgraph with a signed internal token, and subgraphs refuse anything the router did not sign for them.
 */

const PLAN: SeedPlan = { users: 5, categories: 2, products: 10, warehouses: 1, orders: 5, wishlistItemsPerUser: 1 };
const admin = viewerWithRoles(nameBasedUuid(SeedNamespace.user, 0), ['ADMIN', 'CUSTOMER']);

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack(PLAN);
});
afterAll(() => stack?.close());

interface Session {
  accessToken: string | null;
  refreshToken: string | null;
  user: { id: string } | null;
  errors: Array<{ code: string }>;
}
const SESSION = 'accessToken refreshToken expiresAt user { id } errors { path code message }';
const PASSWORD = 'an end-to-end passphrase';

async function signUp(): Promise<Session & { email: string }> {
  const email = `e2e-${randomUUID().slice(0, 8)}@example.com`;
  const { body } = await postGraphQL<{ signUp: Session }>(stack.routerUrl, {
    query: `mutation ($input: SignUpInput!) { signUp(input: $input) { ${SESSION} } }`,
    variables: { input: { email, password: PASSWORD, name: 'End To End' } },
  });
  expect(body.data?.signUp.errors).toEqual([]);
  return { ...body.data!.signUp, email };
}

const whoAmI = (token?: string, headers?: Record<string, string>) =>
  postGraphQL<{ me: { id: string } | null }>(stack.routerUrl, { query: '{ me { id } }' }, { token, headers });

/** An HS256 access token like accounts issues, with any claim or header overridden. */
async function forge(options: { secret?: string; issuer?: string; audience?: string; expiresIn?: number; sub?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ roles: ['ADMIN', 'CUSTOMER'], scope: 'admin orders:read' })
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
    .setIssuer(options.issuer ?? stack.accessTokens.issuer)
    .setAudience(options.audience ?? stack.accessTokens.audience)
    .setSubject(options.sub ?? admin.userId)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 600))
    .sign(new TextEncoder().encode(options.secret ?? stack.accessTokens.secret));
}

describe('signing in through the router', () => {
  it('signs up, and the access token identifies the user in accounts and in notifications', async () => {
    const session = await signUp();
    const { status, body } = await postGraphQL<{ me: { id: string; unreadNotificationCount: number } }>(
      stack.routerUrl,
      { query: '{ me { id unreadNotificationCount } }' },
      { token: session.accessToken! },
    );
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ me: { id: session.user!.id, unreadNotificationCount: 0 } });
  });

  it('logs in, refreshes (rotating the refresh token) and logs out', async () => {
    const { email } = await signUp();
    const login = await postGraphQL<{ logIn: Session }>(stack.routerUrl, {
      query: `mutation ($input: LogInInput!) { logIn(input: $input) { ${SESSION} } }`,
      variables: { input: { email, password: PASSWORD } },
    });
    const session = login.body.data!.logIn;
    expect(session.errors).toEqual([]);
    const refresh = (token: string) =>
      postGraphQL<{ refreshSession: Session }>(stack.routerUrl, { query: `mutation ($t: String!) { refreshSession(refreshToken: $t) { ${SESSION} } }`, variables: { t: token } });
    const refreshed = (await refresh(session.refreshToken!)).body.data!.refreshSession;
    expect(refreshed.errors).toEqual([]);
    expect((await whoAmI(refreshed.accessToken!)).body.data?.me?.id).toBe(session.user!.id);
    const out = await postGraphQL<{ logOut: Session }>(stack.routerUrl, { query: `mutation ($t: String!) { logOut(refreshToken: $t) { errors { code } } }`, variables: { t: refreshed.refreshToken } });
    expect(out.body.data?.logOut.errors).toEqual([]);
    expect((await refresh(refreshed.refreshToken!)).body.data!.refreshSession.errors[0]?.code).toBe('INVALID');
  });

  it('lets the seeded admin log in and use admin-only fields with the token', async () => {
    const login = await postGraphQL<{ logIn: Session }>(stack.routerUrl, {
      query: `mutation ($input: LogInInput!) { logIn(input: $input) { ${SESSION} } }`,
      variables: { input: { email: 'admin@example.com', password: SEED_DEMO_PASSWORD } },
    });
    const { accessToken, user } = login.body.data!.logIn;
    expect(user?.id).toBe(admin.userId);
    const { body } = await postGraphQL<{ users: { edges: unknown[] } }>(stack.routerUrl, { query: '{ users(first: 100) { edges { cursor } } }' }, { token: accessToken! });
    expect(body.errors).toBeUndefined();
    expect(body.data?.users.edges.length).toBeGreaterThanOrEqual(PLAN.users);
  });

  it('passes a throttled sign-in on with its code and when to retry', async () => {
    const { email } = await signUp();
    const attempts: Array<{ data?: unknown; errors?: Array<{ extensions?: Record<string, unknown> }> }> = [];
    // Five wrong passwords are free; the locks after them (1 s, 2 s, 4 s) outlast a few quick attempts.
    for (let i = 0; i < 8; i += 1) {
      const { body } = await postGraphQL(stack.routerUrl, {
        query: 'mutation ($input: LogInInput!) { logIn(input: $input) { accessToken errors { code } } }',
        variables: { input: { email, password: `wrong guess ${i}` } },
      });
      attempts.push(body);
    }
    const throttled = attempts.filter((body) => body.errors?.[0]?.extensions?.code === 'TOO_MANY_ATTEMPTS');
    expect(throttled.length).toBeGreaterThan(0);
    expect(throttled[0]).toMatchObject({ data: null, errors: [{ extensions: { code: 'TOO_MANY_ATTEMPTS', retryAfterSeconds: expect.any(Number), serviceName: 'accounts' } }] });
  });

  it('throttles one account per client address, so an attacker elsewhere cannot lock its owner out', async () => {
    // Behind one proxy (TRUSTED_PROXY_HOPS=1) the client is X-Forwarded-For's last entry; the router sends it to
    // accounts on every call. Without it every sign-in would count as coming from one address.
    const behindProxy = await startRouter({ ...stack.routerConfig, protection: { ...DEFAULT_PROTECTION, trustedProxyHops: 1 } }, undefined);
    try {
      while (!behindProxy.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 20));
      const { email } = await signUp();
      const logIn = async (password: string, address: string) =>
        (
          await postGraphQL<{ logIn: Session }>(
            behindProxy.url,
            { query: `mutation ($input: LogInInput!) { logIn(input: $input) { ${SESSION} } }`, variables: { input: { email, password } } },
            { headers: { 'x-forwarded-for': address } },
          )
        ).body;
      const attacker = '203.0.113.7';
      const codes: unknown[] = [];
      for (let i = 0; i < 8; i += 1) codes.push((await logIn(`wrong guess ${i}`, attacker)).errors?.[0]?.extensions?.code ?? 'answered');
      expect(codes).toContain('TOO_MANY_ATTEMPTS');
      // The attacker's address is locked even with the right password ...
      expect((await logIn(PASSWORD, attacker)).errors?.[0]?.extensions?.code).toBe('TOO_MANY_ATTEMPTS');
      // ... and the owner, from their own address, signs in.
      const owner = await logIn(PASSWORD, '198.51.100.20');
      expect(owner.errors).toBeUndefined();
      expect(owner.data?.logIn.accessToken).toEqual(expect.any(String));
    } finally {
      await behindProxy.close();
    }
  });

  it('answers anonymous requests without a token', async () => {
    const { status, body } = await whoAmI();
    expect(status).toBe(200);
    expect(body.data).toEqual({ me: null });
  });
});

describe('the router refuses bad access tokens with 401 UNAUTHENTICATED', () => {
  const refusal = async (token: string) => {
    const { status, body } = await whoAmI(token);
    return { status, code: body.errors?.[0]?.extensions?.code, message: body.errors?.[0]?.message, data: body.data };
  };

  it('accepts a well-formed token (the control for the cases below)', async () => {
    expect((await whoAmI(await forge())).body.data?.me?.id).toBe(admin.userId);
  });

  it('expired', async () => {
    expect(await refusal(await forge({ expiresIn: -120 }))).toEqual({ status: 401, code: 'UNAUTHENTICATED', message: 'Invalid access token: token expired', data: undefined });
  });

  it('signed with another secret, or with its payload tampered', async () => {
    expect(await refusal(await forge({ secret: 'not-the-router-secret-but-long-enough' }))).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', message: 'Invalid access token: signature verification failed' });
    const [header, , signature] = (await stack.accessTokenFor(viewerWithRoles(randomUUID(), ['CUSTOMER']))).split('.');
    const promoted = Buffer.from(JSON.stringify({ sub: admin.userId, roles: ['ADMIN'], scope: 'admin', iss: stack.accessTokens.issuer, aud: stack.accessTokens.audience, exp: 9_999_999_999 })).toString('base64url');
    expect(await refusal(`${header}.${promoted}.${signature}`)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('alg:none', async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${encode({ alg: 'none', typ: 'at+jwt' })}.${encode({ sub: admin.userId, roles: ['ADMIN'], scope: 'admin', iss: stack.accessTokens.issuer, aud: stack.accessTokens.audience, iat: now, exp: now + 600 })}.`;
    expect(await refusal(unsigned)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', message: expect.stringMatching(/^Invalid access token/) });
  });

  it('for another audience or from another issuer', async () => {
    expect(await refusal(await forge({ audience: 'another-api' }))).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', message: expect.stringContaining('"aud"') });
    expect(await refusal(await forge({ issuer: 'someone-else' }))).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', message: expect.stringContaining('"iss"') });
  });

  it('malformed', async () => {
    expect(await refusal('definitely-not-a-jwt')).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });
});

describe('identity headers from clients', () => {
  it('ignores x-viewer-id and x-viewer-roles: the caller stays anonymous', async () => {
    const headers = { 'x-viewer-id': admin.userId, 'x-viewer-roles': 'ADMIN' };
    expect((await whoAmI(undefined, headers)).body.data).toEqual({ me: null });
    const users = await postGraphQL(stack.routerUrl, { query: '{ users(first: 1) { edges { node { id } } } }' }, { headers });
    expect(users.body.data?.users ?? null).toBeNull();
    expect(users.body.errors?.length).toBeGreaterThan(0);
  });

  it('cannot override a token either', async () => {
    const session = await signUp();
    const { body } = await whoAmI(session.accessToken!, { 'x-viewer-id': admin.userId, 'x-viewer-roles': 'ADMIN' });
    expect(body.data?.me?.id).toBe(session.user!.id);
  });
});

describe('calling a subgraph directly', () => {
  const direct = async (authorization?: string) => {
    const { status, body } = await postGraphQL(stack.subgraphs.accounts!.url, { query: '{ me { id } }' }, { headers: authorization ? { authorization } : {} });
    return { status, code: body.errors?.[0]?.extensions?.code };
  };

  it('works with the router-signed token for that subgraph (the control)', async () => {
    expect(await direct(`Bearer ${signTestIdentity('accounts', admin)}`)).toEqual({ status: 200, code: undefined });
  });

  it('is refused without a token, with another key, expired, or for another subgraph', async () => {
    const intruder = createInternalIdentitySigner({ privateKey: generateKeyPairSync('ed25519').privateKey });
    expect(await direct()).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    expect(await direct(`Bearer ${intruder.sign('accounts', admin)}`)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    expect(await direct(`Bearer ${signTestIdentity('accounts', admin, { nowMs: Date.now() - 5 * 60_000 })}`)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    expect(await direct(`Bearer ${signTestIdentity('orders', admin)}`)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('is refused with a client access token, which is meant for the router only', async () => {
    expect(await direct(`Bearer ${await stack.accessTokenFor(admin)}`)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
  });
});
