import { fileURLToPath } from 'node:url';
import { nameBasedUuid } from '@storefront/api-conventions';
import { viewerWithRoles, type Viewer } from '@storefront/identity';
import { SeedNamespace, seedUser, type SeedPlan } from '@storefront/seed-world';
import { startTestSubgraph, type TestSubgraph } from '@storefront/testing';
import { start } from './index.ts';

const PLAN: SeedPlan = { users: 60, categories: 2, products: 20, warehouses: 1, orders: 0, wishlistItemsPerUser: 2 };
const userId = (i: number) => nameBasedUuid(SeedNamespace.user, i);
const admin: Viewer = viewerWithRoles(userId(0), ['ADMIN', 'CUSTOMER']);
const customer = (i: number): Viewer => viewerWithRoles(userId(i), ['CUSTOMER']);

let accounts: TestSubgraph;
beforeAll(async () => {
  accounts = await startTestSubgraph(fileURLToPath(new URL('..', import.meta.url)), start, PLAN);
});
afterAll(() => accounts?.close());

type AddressResult = {
  address: { id: string; label: string; isDefault: boolean } | null;
  user: { defaultAddress: { id: string } | null; addresses: { edges: Array<{ node: { id: string; isDefault: boolean } }> } } | null;
  errors: Array<{ path: string[]; code: string }>;
};
const ADDRESS_RESULT = 'address { id label isDefault } user { defaultAddress { id } addresses { edges { node { id isDefault } } } } errors { path code }';

const addAddress = (viewer: Viewer | undefined, input: Record<string, unknown>) =>
  accounts.query<{ addAddress: AddressResult }>(`mutation ($input: AddressInput!) { addAddress(input: $input) { ${ADDRESS_RESULT} } }`, { input }, viewer);
const removeAddress = (viewer: Viewer, id: string) =>
  accounts.query<{ removeAddress: AddressResult }>(`mutation ($id: ID!) { removeAddress(id: $id) { ${ADDRESS_RESULT} } }`, { id }, viewer);
const office = { label: 'Office', line1: '1 Quay Street', city: 'Hamburg', postalCode: '20095', country: 'DE' };

describe('who is asking', () => {
  it('answers me for a signed-in viewer and null for anonymous requests', async () => {
    const signedIn = await accounts.query<{ me: { id: string; name: string } }>('{ me { id name } }', {}, customer(5));
    expect(signedIn.body.data!.me).toEqual({ id: userId(5), name: seedUser(5, PLAN).name });
    expect((await accounts.query('{ me { id } }')).body.data).toEqual({ me: null });
  });

  it('lists all users to admins only', async () => {
    expect((await accounts.query('{ users(first: 1) { edges { cursor } } }', {}, customer(2))).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const { body } = await accounts.query<{ users: { edges: unknown[] } }>('{ users(first: 100) { edges { cursor } } }', {}, admin);
    expect(body.data!.users.edges).toHaveLength(PLAN.users);
  });
});

describe('the address book', () => {
  it('makes a new address the default only when asked, and hands the default on when it is removed', async () => {
    const viewer = customer(7); // seeded with one address, the default
    const before = await accounts.query<{ me: { defaultAddress: { id: string } } }>('{ me { defaultAddress { id } } }', {}, viewer);
    const home = before.body.data!.me.defaultAddress.id;

    const added = (await addAddress(viewer, office)).body.data!.addAddress;
    expect(added.errors).toEqual([]);
    expect(added.address).toMatchObject({ label: 'Office', isDefault: false });
    expect(added.user!.defaultAddress).toEqual({ id: home });

    const preferred = (await addAddress(viewer, { ...office, label: 'Studio', makeDefault: true })).body.data!.addAddress;
    expect(preferred.user!.defaultAddress).toEqual({ id: preferred.address!.id });
    expect(preferred.user!.addresses.edges.filter((e) => e.node.isDefault)).toHaveLength(1);

    const removed = (await removeAddress(viewer, preferred.address!.id)).body.data!.removeAddress;
    expect(removed.user!.defaultAddress).toEqual({ id: home });
  });

  it("cannot remove someone else's address", async () => {
    const theirs = (await addAddress(customer(8), office)).body.data!.addAddress.address!.id;
    const attempt = (await removeAddress(customer(9), theirs)).body.data!.removeAddress;
    expect(attempt).toEqual({ address: null, user: null, errors: [{ path: ['id'], code: 'NOT_FOUND' }] });
  });

  it('reports every invalid field with a code, and refuses anonymous callers', async () => {
    const { body } = await addAddress(customer(10), { ...office, line1: '', postalCode: '!!', country: 'Germany' });
    expect(body.data!.addAddress.errors).toEqual([
      { path: ['input', 'line1'], code: 'TOO_SHORT' },
      { path: ['input', 'postalCode'], code: 'INVALID' },
      { path: ['input', 'country'], code: 'INVALID' },
    ]);
    expect((await addAddress(undefined, office)).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses NUL and other control characters in address and profile text with INVALID_CHARACTERS, never a 500', async () => {
    const { body } = await addAddress(customer(12), { ...office, line1: '1 Quay\u0000Street', city: 'Ham\nburg' });
    expect(body.errors).toBeUndefined();
    expect(body.data!.addAddress.errors).toEqual([
      { path: ['input', 'line1'], code: 'INVALID_CHARACTERS' },
      { path: ['input', 'city'], code: 'INVALID_CHARACTERS' },
    ]);
    const profile = await accounts.query<{ updateProfile: { errors: Array<{ path: string[]; code: string }> } }>(
      'mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { errors { path code } } }',
      { input: { name: 'A\u0000b' } },
      customer(12),
    );
    expect(profile.body.errors).toBeUndefined();
    expect(profile.body.data!.updateProfile.errors).toEqual([{ path: ['input', 'name'], code: 'INVALID_CHARACTERS' }]);
  });

  it('keeps at most 20 addresses, even when added concurrently', async () => {
    const viewer = customer(11);
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => addAddress(viewer, { ...office, label: `A${i}` })));
    const refused = results.filter((r) => r.body.data!.addAddress.errors.some((e) => e.code === 'INVALID_STATE'));
    const { body } = await accounts.query<{ me: { addresses: { edges: unknown[] } } }>('{ me { addresses(first: 50) { edges { cursor } } } }', {}, viewer);
    expect(body.data!.me.addresses.edges).toHaveLength(20);
    expect(refused).toHaveLength(25 - 19); // the seed gave this user one already
  });
});

describe('batching', () => {
  const usersWithAddresses = (n: number) =>
    accounts.query(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { name defaultAddress { city } addresses(first: 3) { edges { node { city } } } wishlist(first: 2) { edges { addedAt } } } } }',
      { r: Array.from({ length: n }, (_, i) => ({ __typename: 'User', id: userId(i + 1) })) },
      admin,
    );

  it('costs the same statements for 1 or 50 users with their addresses and wishlists', async () => {
    const one = await accounts.countQueries(() => usersWithAddresses(1));
    const fifty = await accounts.countQueries(() => usersWithAddresses(50));
    expect(one).toBe(4);
    expect(fifty).toBe(one);
  });
});

describe("other people's personal data", () => {
  it("keeps a user's email and addresses to that user and admins", async () => {
    const stranger = await accounts.query<{ user: null }>(
      'query ($id: ID!) { user(id: $id) { name email } }',
      { id: userId(12) },
      customer(13),
    );
    expect(stranger.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const addresses = await accounts.query('query ($id: ID!) { user(id: $id) { addresses { edges { cursor } } } }', { id: userId(12) }, customer(13));
    expect(addresses.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const own = await accounts.query<{ user: { email: string } }>('query ($id: ID!) { user(id: $id) { email defaultAddress { city } } }', { id: userId(12) }, customer(12));
    expect(own.body.errors).toBeUndefined();
    expect(own.body.data!.user.email).toBe(seedUser(12, PLAN).email);
    const byAdmin = await accounts.query('query ($id: ID!) { user(id: $id) { email addresses { edges { cursor } } } }', { id: userId(12) }, admin);
    expect(byAdmin.body.errors).toBeUndefined();
  });
});
