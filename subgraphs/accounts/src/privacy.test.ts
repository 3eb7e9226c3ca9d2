import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nameBasedUuid } from '@storefront/api-conventions';
import { REPO_ROOT } from '@storefront/config';
import { viewerWithRoles, type Viewer } from '@storefront/identity';
import { SeedNamespace, type SeedPlan } from '@storefront/seed-world';
import { startTestSubgraph, type GraphQLResponse, type TestSubgraph } from '@storefront/testing';
import { parse, type DocumentNode, type GraphQLFieldResolver, type GraphQLResolveInfo } from 'graphql';
import { start, typeDefs } from './index.ts';
import { assertPrivacyCoversSchema, FIELD_PRIVACY } from './privacy.ts';
import { resolvers, type AccountsContext } from './resolvers.ts';

/*
 * The privacy table field by field: what anonymous callers, another customer, the owner and an admin each get
 * for every field of a User, straight from accounts (the router adds its own @authenticated checks on top).
 * The expectations are written out here, not derived from the table, so loosening the table fails this test.
 */

const PLAN: SeedPlan = { users: 4, categories: 1, products: 5, warehouses: 1, orders: 0, wishlistItemsPerUser: 2 };
const userId = (i: number) => nameBasedUuid(SeedNamespace.user, i);
const OWNER = userId(1);

type Caller = 'anonymous' | 'another customer' | 'the owner' | 'an admin';
const CALLERS: Record<Caller, Viewer | undefined> = {
  anonymous: undefined,
  'another customer': viewerWithRoles(userId(2), ['CUSTOMER']),
  'the owner': viewerWithRoles(OWNER, ['CUSTOMER']),
  'an admin': viewerWithRoles(userId(0), ['ADMIN', 'CUSTOMER']),
};

const EVERYONE: readonly Caller[] = ['anonymous', 'another customer', 'the owner', 'an admin'];
const OWNER_AND_ADMINS: readonly Caller[] = ['the owner', 'an admin'];

/** Each User field, how it is asked for, and who may read it. */
const USER_FIELDS: Record<string, { selection: string; readers: readonly Caller[] }> = {
  id: { selection: 'id', readers: EVERYONE },
  name: { selection: 'name', readers: EVERYONE },
  email: { selection: 'email', readers: OWNER_AND_ADMINS },
  roles: { selection: 'roles', readers: OWNER_AND_ADMINS },
  createdAt: { selection: 'createdAt', readers: OWNER_AND_ADMINS },
  addresses: { selection: 'addresses { edges { node { id label line1 line2 city postalCode country isDefault } } }', readers: OWNER_AND_ADMINS },
  defaultAddress: { selection: 'defaultAddress { id label line1 line2 city postalCode country isDefault }', readers: OWNER_AND_ADMINS },
  wishlist: { selection: 'wishlist { edges { addedAt node { id } } }', readers: OWNER_AND_ADMINS },
};

const ALL_FIELDS_QUERY = `query ($id: ID!) { user(id: $id) { ${Object.values(USER_FIELDS).map(({ selection }) => selection).join(' ')} } }`;

let accounts: TestSubgraph;
beforeAll(async () => {
  accounts = await startTestSubgraph(fileURLToPath(new URL('..', import.meta.url)), start, PLAN);
});
afterAll(() => accounts?.close());

describe.each(Object.keys(CALLERS) as Caller[])("a user's fields, asked for by %s", (caller) => {
  let response: GraphQLResponse<{ user: Record<string, unknown> | null }>;
  beforeAll(async () => {
    response = await accounts.query(ALL_FIELDS_QUERY, { id: OWNER }, CALLERS[caller]);
  });

  it.each(Object.keys(USER_FIELDS))('%s', (field) => {
    const user = response.body.data?.user;
    expect(user).toEqual(expect.objectContaining({ id: OWNER }));
    const errorsHere = (response.body.errors ?? []).filter((error) => JSON.stringify(error.path) === JSON.stringify(['user', field]));
    if (USER_FIELDS[field]!.readers.includes(caller)) {
      expect(user![field]).not.toBeNull();
      expect(errorsHere).toEqual([]);
    } else {
      expect(user![field]).toBeNull();
      expect(errorsHere).toEqual([expect.objectContaining({ message: `You may not read User.${field}`, extensions: { code: 'FORBIDDEN' } })]);
    }
  });
});

describe('the address guard', () => {
  // Addresses are only reachable through their owner's User fields; the guard holds should another path appear.
  const address = { id: nameBasedUuid(SeedNamespace.address, '1:0'), userId: OWNER, city: 'Lyon' };
  const addressResolvers = resolvers.Address as Record<string, GraphQLFieldResolver<unknown, AccountsContext>>;
  const read = (field: string, caller: Caller) =>
    Promise.resolve().then(() => addressResolvers[field]!(address, {}, { viewer: CALLERS[caller] ?? null } as AccountsContext, { fieldName: field } as GraphQLResolveInfo));

  it.each(Object.keys(CALLERS) as Caller[])('lets %s read an address only if they own it or are an admin', async (caller) => {
    if (OWNER_AND_ADMINS.includes(caller)) await expect(read('city', caller)).resolves.toBe('Lyon');
    else await expect(read('city', caller)).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
  });
});

describe('the privacy table', () => {
  const withExtra = (sdl: string): DocumentNode => ({ ...typeDefs, definitions: [...typeDefs.definitions, ...parse(sdl).definitions] });

  it('has a rule for exactly the fields of User and Address in the schema', () => {
    expect(() => assertPrivacyCoversSchema(typeDefs)).not.toThrow();
    expect(() => assertPrivacyCoversSchema(withExtra('extend type User { phone: String }'))).toThrow(/User\.phone has no privacy rule/);
    const withoutCity = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8').replace(/\n {2}city: String!\n/, '\n'));
    expect(() => assertPrivacyCoversSchema(withoutCity)).toThrow(/Address\.city has a rule but no field/);
  });

  it('is the one docs/privacy.md lists', () => {
    const documented = readFileSync(path.join(REPO_ROOT, 'docs', 'privacy.md'), 'utf8')
      .split('\n')
      .flatMap((line) => {
        const row = /^\| `(\w+)\.(\w+)` \| (public|owner|admin) \|/.exec(line);
        return row ? [`${row[1]}.${row[2]} ${row[3]}`] : [];
      });
    const table = Object.entries(FIELD_PRIVACY).flatMap(([type, { fields }]) => Object.entries(fields).map(([field, audience]) => `${type}.${field} ${audience}`));
    expect(documented.sort()).toEqual(table.sort());
  });
});
