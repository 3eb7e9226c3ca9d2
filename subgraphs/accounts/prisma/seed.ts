import { faker } from '@faker-js/faker';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { nameBasedUuid, SeedNamespace, type SeedPlan } from '@storefront/common';
import { chunks } from '@storefront/prisma-tools';
import { PrismaClient } from '../src/database.ts';

const SEED_EPOCH = Date.UTC(2026, 0, 1);

/** Replaces accounts' data with `plan.users` users (the first one an admin) and their wishlists. */
export default async function seed(adapter: SqlDriverAdapterFactory, plan: SeedPlan, log: (message: string) => void) {
  const prisma = new PrismaClient({ adapter });
  try {
    faker.seed(1123);
    const users = Array.from({ length: plan.users }, (_, i) => {
      const firstName = faker.person.firstName();
      const lastName = faker.person.lastName();
      return {
        id: nameBasedUuid(SeedNamespace.user, i),
        email: i === 0 ? 'admin@example.com' : `${firstName}.${lastName}.${i}@example.com`.toLowerCase().replace(/[^a-z0-9.@]/g, ''),
        name: i === 0 ? 'Store Admin' : `${firstName} ${lastName}`,
        roles: i === 0 ? (['ADMIN', 'CUSTOMER'] as const) : (['CUSTOMER'] as const),
        createdAt: new Date(SEED_EPOCH - (plan.users - i) * 3_600_000),
      };
    });
    // Product ids are derived the same way catalog's seed derives them, so wishlists point at real products.
    const wishlist = users.flatMap((user, u) =>
      faker.helpers
        .uniqueArray(() => faker.number.int({ min: 0, max: plan.products - 1 }), Math.min(plan.wishlistItemsPerUser, plan.products))
        .map((productIndex, k) => ({
          userId: user.id,
          productId: nameBasedUuid(SeedNamespace.product, productIndex),
          addedAt: new Date(user.createdAt.getTime() + (k + 1) * 60_000 + u),
        })),
    );
    await prisma.$transaction([prisma.wishlistItem.deleteMany(), prisma.user.deleteMany()]);
    for (const batch of chunks(users)) await prisma.user.createMany({ data: batch.map((u) => ({ ...u, roles: [...u.roles] })) });
    for (const batch of chunks(wishlist)) await prisma.wishlistItem.createMany({ data: batch });
    log(`${users.length} users (admin@example.com is an admin), ${wishlist.length} wishlist items`);
  } finally {
    await prisma.$disconnect();
  }
}
