import { generateKeyPairSync } from 'node:crypto';
import { type RequestContext } from '@storefront/http-host';
import { createInternalIdentityVerifier, ROUTER_IDENTITY_ISSUER, viewerWithRoles } from '@storefront/identity';
import { createSubgraphIdentity } from './subgraph-identity.ts';

/*
 * The router's identity for a subgraph is signed once per viewer and audience and reused for most of its
 * life: what a subgraph sees is still a token it accepts, for the right viewer and audience only.
 */

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const ann = viewerWithRoles('7b0d7a4e-8d1f-4f4e-9c1a-2b3c4d5e6f70', ['CUSTOMER']);
const admin = viewerWithRoles('1c9e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6', ['ADMIN']);
const contextOf = (viewer: RequestContext['viewer'], requestId: string) => ({ viewer, requestId }) as Partial<RequestContext>;

it('reuses one token per viewer and subgraph across requests, and signs apart what must differ', () => {
  let now = 1_700_000_000_000;
  const authorizationFor = createSubgraphIdentity(privateKey, () => now);
  const first = authorizationFor('orders', contextOf(ann, 'r1'));
  expect(authorizationFor('orders', contextOf(ann, 'r2'))).toBe(first);
  now += 30_000;
  expect(authorizationFor('orders', contextOf(ann, 'r3'))).toBe(first);
  expect(authorizationFor('catalog', contextOf(ann, 'r3'))).not.toBe(first);
  expect(authorizationFor('orders', contextOf(admin, 'r3'))).not.toBe(first);
  expect(authorizationFor('orders', contextOf(null, 'r3'))).not.toBe(first);
  expect(authorizationFor('orders', contextOf({ ...ann, scopes: ['orders:read'] }, 'r3'))).not.toBe(first);
});

it('signs a fresh token once less than 20 s of the old one is left', () => {
  let now = 1_700_000_000_000;
  const authorizationFor = createSubgraphIdentity(privateKey, () => now);
  const first = authorizationFor('orders', contextOf(ann, 'r1'));
  now += 39_000;
  expect(authorizationFor('orders', contextOf(ann, 'r2'))).toBe(first);
  now += 2_000;
  expect(authorizationFor('orders', contextOf(ann, 'r3'))).not.toBe(first);
});

it('gives subgraphs a token they accept, for that viewer and audience only', async () => {
  const authorizationFor = createSubgraphIdentity(privateKey);
  const header = authorizationFor('orders', contextOf(ann, 'r1'));
  const orders = createInternalIdentityVerifier({ audience: 'orders', trustedSigners: [{ issuer: ROUTER_IDENTITY_ISSUER, publicKey }] });
  const catalog = createInternalIdentityVerifier({ audience: 'catalog', trustedSigners: [{ issuer: ROUTER_IDENTITY_ISSUER, publicKey }] });
  expect((await orders(header)).viewer).toEqual({ userId: ann.userId, roles: ann.roles, scopes: ann.scopes });
  await expect(catalog(header)).rejects.toThrow(/Invalid internal identity token/);
});
