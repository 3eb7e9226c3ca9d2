import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { nameBasedUuid } from '@storefront/api-conventions';
import { randomFor, seedAddresses, SEED_DEMO_PASSWORD, SeedNamespace, seedUser, type SeedPlan } from '@storefront/seed-world';
import { chunks } from '@storefront/prisma-tools';
import { PrismaClient } from '../src/database.ts';
import { hashPassword } from '../src/passwords.ts';

/**
 * Replaces accounts' data with `plan.users` users (user 0, admin@example.com, is an admin), their address
 * books and wishlists. Users and addresses come from the shared seed world, which other services also use
 * (reviews shows the same names, orders ships to the same addresses). Every user signs in with
 * SEED_DEMO_PASSWORD (one argon2id hash shared by all: hashing thousands would take minutes).
 */
export default async function seed(adapter: SqlDriverAdapterFactory, plan: SeedPlan, log: (message: string) => void) {
  const prisma = new PrismaClient({ adapter });
  try {
    const users = Array.from({ length: plan.users }, (_, i) => seedUser(i, plan));
    const addresses = users.flatMap((user, i) =>
      seedAddresses(i).map((address, k) => ({
        ...address,
        userId: user.id,
        isDefault: k === 0,
        createdAt: new Date(user.createdAt.getTime() + (k + 1) * 60_000),
      })),
    );
    const wishlist = users.flatMap((user, u) => {
      const random = randomFor('wishlist', u);
      const productIndexes = new Set<number>();
      const wanted = Math.min(plan.wishlistItemsPerUser, plan.products);
      while (productIndexes.size < wanted) productIndexes.add(Math.floor(random() * plan.products));
      return [...productIndexes].map((productIndex, k) => ({
        userId: user.id,
        productId: nameBasedUuid(SeedNamespace.product, productIndex),
        addedAt: new Date(user.createdAt.getTime() + (k + 1) * 3_600_000),
      }));
    });
    const passwordHash = await hashPassword(SEED_DEMO_PASSWORD);
    await prisma.$transaction([prisma.wishlistItem.deleteMany(), prisma.address.deleteMany(), prisma.user.deleteMany()]);
    for (const batch of chunks(users)) await prisma.user.createMany({ data: batch.map((u) => ({ ...u, roles: [...u.roles], passwordHash })) });
    for (const batch of chunks(addresses)) await prisma.address.createMany({ data: batch });
    for (const batch of chunks(wishlist)) await prisma.wishlistItem.createMany({ data: batch });
    log(`${users.length} users (admin@example.com is an admin; password ${SEED_DEMO_PASSWORD}), ${addresses.length} addresses, ${wishlist.length} wishlist items`);
  } finally {
    await prisma.$disconnect();
  }
}
