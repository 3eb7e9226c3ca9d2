import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { parse } from 'graphql';
import type { RequestContext } from '@storefront/http-host';
import {
  createInternalIdentitySigner,
  parseEd25519Key,
  ROUTER_IDENTITY_ISSUER,
  routerSigningKeyFromEnv,
  routerTrustFromEnv,
} from '@storefront/identity';
import { DEVELOPMENT_ROUTER_IDENTITY_KEYS } from '@storefront/identity';
import { createLogger } from '@storefront/telemetry';
import { serveSubgraph } from './index.ts';
import { viewerWithRoles } from '@storefront/identity';
import type { RunningHttpServer } from '@storefront/http-host';

/*
 * Zero trust at a subgraph: a real subgraph process (no database) that answers `whoami` only to requests the
 * router signed for it. Everything else gets 401 UNAUTHENTICATED before GraphQL runs.
 */

const router = generateKeyPairSync('ed25519');
const intruder = generateKeyPairSync('ed25519');
const sign = createInternalIdentitySigner({ privateKey: router.privateKey }).sign;
const viewer = viewerWithRoles(randomUUID(), ['CUSTOMER']);

let subgraph: RunningHttpServer;
beforeAll(async () => {
  subgraph = await serveSubgraph<RequestContext>(
    {
      name: 'inventory',
      typeDefs: parse('type Query { whoami: String roles: [String!]! scopes: [String!]! requestId: String! }'),
      resolvers: {
        Query: {
          whoami: (_: unknown, __: unknown, context: RequestContext) => context.viewer?.userId ?? null,
          roles: (_: unknown, __: unknown, context: RequestContext) => context.viewer?.roles ?? [],
          scopes: (_: unknown, __: unknown, context: RequestContext) => context.viewer?.scopes ?? [],
          requestId: (_: unknown, __: unknown, context: RequestContext) => context.requestId,
        },
      },
      context: (request) => request,
      checkReady: async () => {},
      release: async () => {},
    },
    { nodeEnv: 'test', host: '127.0.0.1', port: 0, maxBodyBytes: 100_000, trustedSigners: [{ issuer: ROUTER_IDENTITY_ISSUER, publicKey: router.publicKey }] },
    createLogger({ service: 'test', level: 'silent' }),
  );
});
afterAll(() => subgraph?.close());

async function ask(authorization?: string, headers: Record<string, string> = {}) {
  const response = await fetch(subgraph.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}), ...headers },
    body: JSON.stringify({ query: '{ whoami roles scopes requestId }' }),
  });
  return { status: response.status, body: (await response.json()) as { data?: Record<string, unknown>; errors?: Array<{ message: string; extensions: { code: string } }> } };
}

const refused = (response: Awaited<ReturnType<typeof ask>>) => ({ status: response.status, code: response.body.errors?.[0]?.extensions.code, data: response.body.data });

describe('a subgraph behind zero trust', () => {
  it('takes the viewer from a valid router-signed token for its own name', async () => {
    const { status, body } = await ask(`Bearer ${sign('inventory', viewer, 'req-1')}`, { 'x-request-id': 'req-1' });
    expect(status).toBe(200);
    expect(body.data).toEqual({ whoami: viewer.userId, roles: ['CUSTOMER'], scopes: [...viewer.scopes], requestId: 'req-1' });
  });

  it('treats a signed token without a subject as an anonymous request', async () => {
    const { status, body } = await ask(`Bearer ${sign('inventory', null)}`);
    expect(status).toBe(200);
    expect(body.data).toMatchObject({ whoami: null, roles: [] });
  });

  it('refuses a request without a token, even with the old x-viewer headers', async () => {
    const response = await ask(undefined, { 'x-viewer-id': viewer.userId, 'x-viewer-roles': 'ADMIN' });
    expect(refused(response)).toEqual({ status: 401, code: 'UNAUTHENTICATED', data: undefined });
    expect(response.body.errors?.[0]?.message).toMatch(/missing internal identity token/);
  });

  it('refuses a token signed by another key', async () => {
    const forged = createInternalIdentitySigner({ privateKey: intruder.privateKey }).sign('inventory', viewerWithRoles(viewer.userId, ['ADMIN']));
    const response = await ask(`Bearer ${forged}`);
    expect(refused(response)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(response.body.errors?.[0]?.message).toMatch(/signature verification failed/);
  });

  it('refuses an expired token', async () => {
    const response = await ask(`Bearer ${sign('inventory', viewer, undefined, Date.now() - 120_000)}`);
    expect(refused(response)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(response.body.errors?.[0]?.message).toMatch(/expired/);
  });

  it("refuses a token minted for another subgraph", async () => {
    const response = await ask(`Bearer ${sign('payments', viewer)}`);
    expect(refused(response)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(response.body.errors?.[0]?.message).toMatch(/claim "aud"/);
  });

  it('refuses a token from an issuer it does not trust, and unsigned or garbled tokens', async () => {
    const otherIssuer = createInternalIdentitySigner({ privateKey: router.privateKey, issuer: 'some-worker' }).sign('inventory', viewer);
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${encode({ alg: 'none', typ: 'storefront-identity+jwt' })}.${encode({ iss: ROUTER_IDENTITY_ISSUER, aud: 'inventory', sub: viewer.userId, iat: now, exp: now + 60 })}.`;
    for (const authorization of [`Bearer ${otherIssuer}`, `Bearer ${unsigned}`, 'Bearer x.y.z', 'Basic abc']) {
      expect(refused(await ask(authorization))).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    }
  });

  it('keeps health and readiness open', async () => {
    expect((await fetch(subgraph.url.replace('/graphql', '/health'))).status).toBe(200);
    expect((await fetch(subgraph.url.replace('/graphql', '/ready'))).status).toBe(200);
  });
});

describe('identity keys from the environment', () => {
  const pem = (key: ReturnType<typeof generateKeyPairSync>['publicKey'], type: 'spki' | 'pkcs8') => key.export({ format: 'pem', type }).toString();

  it('reads PEM (with literal \\n) and JWK, and refuses private keys where a public one belongs', () => {
    const publicPem = pem(router.publicKey, 'spki');
    expect(parseEd25519Key(publicPem.replace(/\n/g, '\\n'), 'public').equals(router.publicKey)).toBe(true);
    expect(parseEd25519Key(JSON.stringify(router.publicKey.export({ format: 'jwk' })), 'public').equals(router.publicKey)).toBe(true);
    expect(() => parseEd25519Key(pem(router.privateKey, 'pkcs8'), 'public')).toThrow(/public key/);
    expect(() => parseEd25519Key(JSON.stringify(router.privateKey.export({ format: 'jwk' })), 'public')).toThrow(/public key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => parseEd25519Key(pem(rsa.publicKey, 'spki'), 'public')).toThrow(/Ed25519/);
  });

  it('falls back to the development keys outside production only', () => {
    expect(routerTrustFromEnv('x', undefined, 'development')[0]?.publicKey.equals(parseEd25519Key(DEVELOPMENT_ROUTER_IDENTITY_KEYS.publicKey, 'public'))).toBe(true);
    expect(() => routerTrustFromEnv('x', undefined, 'production')).toThrow(/ROUTER_IDENTITY_PUBLIC_KEY: required/);
    expect(() => routerTrustFromEnv('x', DEVELOPMENT_ROUTER_IDENTITY_KEYS.publicKey, 'production')).toThrow(/refused in production/);
    expect(() => routerSigningKeyFromEnv('x', undefined, 'production')).toThrow(/ROUTER_IDENTITY_PRIVATE_KEY: required/);
    expect(() => routerSigningKeyFromEnv('x', DEVELOPMENT_ROUTER_IDENTITY_KEYS.privateKey, 'production')).toThrow(/refused in production/);
    expect(routerSigningKeyFromEnv('x', pem(router.privateKey, 'pkcs8'), 'production').asymmetricKeyType).toBe('ed25519');
  });
});
