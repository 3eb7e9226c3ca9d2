import { pagedRelationLoader, uniqueLoader } from '@storefront/api-conventions';
import { addressPagesByUser, defaultAddressesOf } from './addresses.ts';
import type { PrismaClient } from './database.ts';
import { usersByIds } from './users.ts';
import { wishlistPagesByUser } from './wishlists.ts';

/** Per-request batching over the accounts database; created fresh for each request. */
export function createLoaders(prisma: PrismaClient) {
  return {
    userById: uniqueLoader((ids: readonly string[]) => usersByIds(prisma, ids), (user) => user.id),
    defaultAddressOfUser: uniqueLoader((ids: readonly string[]) => defaultAddressesOf(prisma, ids), (address) => address.userId),
    addressesOfUser: pagedRelationLoader(addressPagesByUser.bind(null, prisma)),
    wishlistOfUser: pagedRelationLoader(wishlistPagesByUser.bind(null, prisma)),
  };
}

export type AccountsLoaders = ReturnType<typeof createLoaders>;
