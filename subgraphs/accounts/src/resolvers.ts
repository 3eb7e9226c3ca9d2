import { badUserInput, DateTimeScalar, isUuid, parsePage, toConnection } from '@storefront/api-conventions';
import type { Resolvers } from './generated/resolvers-types.ts';
import { requireAdmin, requireViewer } from '@storefront/identity';
import type { AccessTokenIssuer } from './access-tokens.ts';
import { addAddress, addressPosition, addressPositionOf, removeAddress, type AddressPayload } from './addresses.ts';
import type { PrismaClient, WishlistItem } from './database.ts';
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
export const resolvers: Resolvers = withFieldPrivacy<Resolvers>({
  DateTime: DateTimeScalar,

  Query: {
    me: (_, __, { viewer, loaders }) => (viewer ? loaders.userById.load(viewer.userId) : null),
    user(_, { id }, { loaders }) {
      if (!isUuid(id)) throw badUserInput('id is not a valid id', 'id');
      return loaders.userById.load(id);
    },
    async users(_, args, { prisma, viewer }) {
      requireAdmin(viewer);
      const page = parsePage(args, userPosition);
      return toConnection(await listUsers(prisma, page), page, userPositionOf);
    },
  },

  Mutation: {
    signUp: async (_, { input }, context) =>
      rememberSessionUser(context, await signUp(context, input)),
    logIn: async (_, { input }, context) => rememberSessionUser(context, await logIn(context, input)),
    refreshSession: async (_, { refreshToken }, context) =>
      rememberSessionUser(context, await refreshSession(context, refreshToken)),
    logOut: (_, { refreshToken }, { prisma }) => logOut({ prisma }, refreshToken),
    updateProfile(_, { input }, { prisma, viewer }) {
      return updateProfile(prisma, requireViewer(viewer).userId, input);
    },
    async addAddress(_, { input }, { prisma, viewer, loaders }) {
      return withUser(await addAddress(prisma, requireViewer(viewer).userId, input), loaders);
    },
    async removeAddress(_, { id }, { prisma, viewer, loaders }) {
      const { userId } = requireViewer(viewer);
      if (!isUuid(id)) throw badUserInput('id is not a valid id', 'id');
      return withUser(await removeAddress(prisma, userId, id), loaders);
    },
  },

  User: {
    __resolveReference: (reference, { loaders }) =>
      isUuid(reference.id) ? loaders.userById.load(reference.id) : null,
    async addresses(user, args, { loaders }) {
      const page = parsePage(args, addressPosition);
      return toConnection(await loaders.addressesOfUser(page).load(user.id), page, addressPositionOf);
    },
    defaultAddress: (user, _, { loaders }) => loaders.defaultAddressOfUser.load(user.id),
    async wishlist(user, args, { loaders }) {
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
