import { badUserInput, DateTimeScalar, isUuid, parsePage, toConnection, type PageArgs } from '@storefront/api-conventions';
import { type GraphQLResolverMap } from '@storefront/subgraph-runtime';
import { requireAdmin, requireViewer } from '@storefront/identity';
import type { AccessTokenIssuer } from './access-tokens.ts';
import { addAddress, addressPosition, addressPositionOf, removeAddress, type AddressPayload } from './addresses.ts';
import type { PrismaClient, User, WishlistItem } from './database.ts';
import type { AccountsLoaders } from './loaders.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { PasswordHasher } from './passwords.ts';
import { withFieldPrivacy, type PrivacyContext } from './privacy.ts';
import { updateProfile } from './profiles.ts';
import { logIn, logOut, refreshSession, signUp } from './sessions.ts';
import { listUsers, userPosition, userPositionOf } from './users.ts';
import { wishlistPosition, wishlistPositionOf } from './wishlists.ts';

/** `sessionUserId` (from PrivacyContext): the user a session mutation of this request has just signed in. */
export interface AccountsContext extends PrivacyContext {
  prisma: PrismaClient;
  loaders: AccountsLoaders;
  /** Issues access tokens for signUp, logIn and refreshSession. */
  tokens: AccessTokenIssuer;
  passwords: PasswordHasher;
  loginThrottle: LoginThrottle;
  /** The client's address as the router saw it (client-address.ts); undefined until the router sends it. */
  clientAddress: string | undefined;
}

type SessionResult = Awaited<ReturnType<typeof signUp>>;

/**
 * Lets the rest of this request treat the newly authenticated user as the owner of their data (privacy.ts):
 * the request itself is still anonymous, yet the payload may show that user their own e-mail and roles.
 */
function rememberSessionUser<T extends SessionResult>(context: AccountsContext, result: T): T {
  if (result.user) context.sessionUserId = result.user.id;
  return result;
}

/** Payloads name the user by id; the User field resolves it through the loader like any other reference. */
const withUser = async ({ userId, ...payload }: AddressPayload, loaders: AccountsLoaders) => ({
  ...payload,
  user: userId && payload.errors.length === 0 ? await loaders.userById.load(userId) : null,
});

// Who may read each field of User and Address is privacy.ts's table, applied here to the whole map.
export const resolvers: GraphQLResolverMap<AccountsContext> = withFieldPrivacy<AccountsContext>({
  DateTime: DateTimeScalar,

  Query: {
    me: (_: unknown, __: unknown, { viewer, loaders }: AccountsContext) => (viewer ? loaders.userById.load(viewer.userId) : null),
    user(_: unknown, { id }: { id: string }, { loaders }: AccountsContext) {
      if (!isUuid(id)) throw badUserInput('id is not a valid id', 'id');
      return loaders.userById.load(id);
    },
    async users(_: unknown, args: PageArgs, { prisma, viewer }: AccountsContext) {
      requireAdmin(viewer);
      const page = parsePage(args, userPosition);
      return toConnection(await listUsers(prisma, page), page, userPositionOf);
    },
  },

  Mutation: {
    signUp: async (_: unknown, { input }: { input: unknown }, context: AccountsContext) =>
      rememberSessionUser(context, await signUp(context, input)),
    logIn: async (_: unknown, { input }: { input: unknown }, context: AccountsContext) => rememberSessionUser(context, await logIn(context, input)),
    refreshSession: async (_: unknown, { refreshToken }: { refreshToken: unknown }, context: AccountsContext) =>
      rememberSessionUser(context, await refreshSession(context, refreshToken)),
    logOut: (_: unknown, { refreshToken }: { refreshToken: unknown }, { prisma }: AccountsContext) => logOut({ prisma }, refreshToken),
    updateProfile(_: unknown, { input }: { input: unknown }, { prisma, viewer }: AccountsContext) {
      return updateProfile(prisma, requireViewer(viewer).userId, input);
    },
    async addAddress(_: unknown, { input }: { input: unknown }, { prisma, viewer, loaders }: AccountsContext) {
      return withUser(await addAddress(prisma, requireViewer(viewer).userId, input), loaders);
    },
    async removeAddress(_: unknown, { id }: { id: string }, { prisma, viewer, loaders }: AccountsContext) {
      const { userId } = requireViewer(viewer);
      if (!isUuid(id)) throw badUserInput('id is not a valid id', 'id');
      return withUser(await removeAddress(prisma, userId, id), loaders);
    },
  },

  User: {
    __resolveReference: (reference: { id: string }, { loaders }: AccountsContext) =>
      isUuid(reference.id) ? loaders.userById.load(reference.id) : null,
    async addresses(user: User, args: PageArgs, { loaders }: AccountsContext) {
      const page = parsePage(args, addressPosition);
      return toConnection(await loaders.addressesOfUser(page).load(user.id), page, addressPositionOf);
    },
    defaultAddress: (user: User, _: unknown, { loaders }: AccountsContext) => loaders.defaultAddressOfUser.load(user.id),
    async wishlist(user: User, args: PageArgs, { loaders }: AccountsContext) {
      const page = parsePage(args, wishlistPosition);
      const items = await loaders.wishlistOfUser(page).load(user.id);
      const connection = toConnection(items, page, wishlistPositionOf);
      return {
        ...connection,
        // The edge carries addedAt; the node is a Product reference that the router resolves in catalog.
        edges: connection.edges.map(({ cursor, node }: { cursor: string; node: WishlistItem }) => ({
          cursor,
          addedAt: node.addedAt,
          node: { id: node.productId },
        })),
      };
    },
  },
});
