import { pagedRelationLoader, uniqueLoader } from '@storefront/common';
import type { PrismaClient } from './database.ts';
import { usersByIds } from './users.ts';
import { wishlistPagesByUser } from './wishlists.ts';

/** Per-request batching over the accounts database; created fresh for each request. */
export function createLoaders(prisma: PrismaClient) {
  return {
    userById: uniqueLoader((ids: readonly string[]) => usersByIds(prisma, ids), (user) => user.id),
    wishlistOfUser: pagedRelationLoader(wishlistPagesByUser.bind(null, prisma)),
  };
}

export type AccountsLoaders = ReturnType<typeof createLoaders>;
