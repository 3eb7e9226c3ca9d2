import {
  badUserInput,
  DateTimeScalar,
  isUuid,
  parsePage,
  toConnection,
  type GraphQLResolverMap,
  type PageArgs,
  type RequestContext,
} from '@storefront/common';
import type { PrismaClient, User, WishlistItem } from './database.ts';
import type { AccountsLoaders } from './loaders.ts';
import { listUsers, userPosition, userPositionOf } from './users.ts';
import { wishlistPosition, wishlistPositionOf } from './wishlists.ts';

export interface AccountsContext extends RequestContext {
  prisma: PrismaClient;
  loaders: AccountsLoaders;
}

export const resolvers: GraphQLResolverMap<AccountsContext> = {
  DateTime: DateTimeScalar,

  Query: {
    user(_: unknown, { id }: { id: string }, { loaders }: AccountsContext) {
      if (!isUuid(id)) throw badUserInput('id is not a valid id', 'id');
      return loaders.userById.load(id);
    },
    async users(_: unknown, args: PageArgs, { prisma }: AccountsContext) {
      const page = parsePage(args, userPosition);
      return toConnection(await listUsers(prisma, page), page, userPositionOf);
    },
  },

  User: {
    __resolveReference: (reference: { id: string }, { loaders }: AccountsContext) =>
      isUuid(reference.id) ? loaders.userById.load(reference.id) : null,
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
