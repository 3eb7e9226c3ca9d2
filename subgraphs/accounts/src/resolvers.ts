import {
  badUserInput,
  DateTimeScalar,
  isUuid,
  parsePage,
  requireAdmin,
  requireViewer,
  toConnection,
  type GraphQLResolverMap,
  type PageArgs,
  type RequestContext,
} from '@storefront/common';
import { addAddress, addressPosition, addressPositionOf, removeAddress, type AddressPayload } from './addresses.ts';
import type { PrismaClient, User, WishlistItem } from './database.ts';
import type { AccountsLoaders } from './loaders.ts';
import { updateProfile } from './profiles.ts';
import { listUsers, userPosition, userPositionOf } from './users.ts';
import { wishlistPosition, wishlistPositionOf } from './wishlists.ts';

export interface AccountsContext extends RequestContext {
  prisma: PrismaClient;
  loaders: AccountsLoaders;
}

/** Payloads name the user by id; the User field resolves it through the loader like any other reference. */
const withUser = async ({ userId, ...payload }: AddressPayload, loaders: AccountsLoaders) => ({
  ...payload,
  user: userId && payload.errors.length === 0 ? await loaders.userById.load(userId) : null,
});

export const resolvers: GraphQLResolverMap<AccountsContext> = {
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
};
