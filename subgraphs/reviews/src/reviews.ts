import { z } from 'zod';
import { badUserInput, parsePage, type Page, type PageArgs } from '@storefront/api-conventions';
import { Prisma, type PrismaClient, type Review } from './database.ts';

/** The orderings a purchasable's reviews can be listed in; a user's own reviews are always NEWEST. */
export type ReviewOrder = 'NEWEST' | 'HIGHEST_RATED' | 'LOWEST_RATED';

/**
 * A position in one ordering. The cursor names its ordering, so a cursor from "highest rated" cannot be
 * replayed against "newest first" (it would skip or repeat rows). Ties on rating fall back to newest first.
 */
export const reviewPosition = z.discriminatedUnion('order', [
  z.object({ order: z.literal('NEWEST'), createdAt: z.iso.datetime(), id: z.uuid() }),
  z.object({ order: z.literal('HIGHEST_RATED'), rating: z.number().int().min(1).max(5), createdAt: z.iso.datetime(), id: z.uuid() }),
  z.object({ order: z.literal('LOWEST_RATED'), rating: z.number().int().min(1).max(5), createdAt: z.iso.datetime(), id: z.uuid() }),
]);
export type ReviewPosition = z.infer<typeof reviewPosition>;

export function reviewPositionOf(order: ReviewOrder): (review: Review) => ReviewPosition {
  switch (order) {
    case 'NEWEST':
      return (r) => ({ order, createdAt: r.createdAt.toISOString(), id: r.id });
    case 'HIGHEST_RATED':
    case 'LOWEST_RATED':
      return (r) => ({ order, rating: r.rating, createdAt: r.createdAt.toISOString(), id: r.id });
  }
}

/** Validates the page arguments, refusing a cursor issued for another ordering. */
export function parseReviewPage(args: PageArgs, order: ReviewOrder): Page<ReviewPosition> {
  const page = parsePage(args, reviewPosition);
  if (page.after && page.after.order !== order) throw badUserInput('The cursor belongs to another ordering', 'after');
  return page;
}

/** How one page of reviews is asked for: the page and its ordering (NEWEST for a user's reviews). */
export interface ReviewPageArgs {
  page: Page<ReviewPosition>;
  order: ReviewOrder;
}

// Raw SQL below selects Prisma's field names, so its rows are Review objects like findMany's.
const REVIEW_COLUMNS = Prisma.raw(
  [
    'id',
    'purchasable_id AS "purchasableId"',
    'author_id AS "authorId"',
    'author_name AS "authorName"',
    'rating',
    'title',
    'body',
    'order_id AS "orderId"',
    'created_at AS "createdAt"',
  ].join(', '),
);

/** ORDER BY for each ordering; each matches one of the keyset indexes in schema.prisma. */
const ORDER_BY: Record<ReviewOrder, Prisma.Sql> = {
  NEWEST: Prisma.sql`ORDER BY created_at DESC, id DESC`,
  HIGHEST_RATED: Prisma.sql`ORDER BY rating DESC, created_at DESC, id DESC`,
  LOWEST_RATED: Prisma.sql`ORDER BY rating ASC, created_at DESC, id DESC`,
};

/** The keyset condition "after this position" in the position's own ordering (AND-prefixed, or nothing). */
function afterPosition(position: ReviewPosition | null): Prisma.Sql {
  if (!position) return Prisma.empty;
  const createdAt = position.createdAt;
  switch (position.order) {
    case 'NEWEST':
      return Prisma.sql`AND (created_at, id) < (${createdAt}::timestamptz, ${position.id}::uuid)`;
    case 'HIGHEST_RATED':
      return Prisma.sql`AND (rating, created_at, id) < (${position.rating}::smallint, ${createdAt}::timestamptz, ${position.id}::uuid)`;
    case 'LOWEST_RATED':
      // Rating ascends while time descends, so a row comparison cannot express it; `rating >= r` still bounds the index scan.
      return Prisma.sql`AND rating >= ${position.rating}::smallint
        AND (rating > ${position.rating}::smallint OR (created_at, id) < (${createdAt}::timestamptz, ${position.id}::uuid))`;
  }
}

function groupBy(rows: readonly Review[], keyOf: (review: Review) => string): Map<string, Review[]> {
  const groups = new Map<string, Review[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

/**
 * The same page of reviews for many purchasables in ONE statement: a LATERAL subquery per purchasable id walks
 * the index of the requested ordering and stops after the page. Purchasables live in catalog's database, so
 * there is no parent table here for Prisma's relation joins to start from, hence raw SQL.
 */
export async function reviewPagesByPurchasable(
  prisma: PrismaClient,
  purchasableIds: readonly string[],
  { page, order }: ReviewPageArgs,
): Promise<Map<string, Review[]>> {
  const rows = await prisma.$queryRaw<Review[]>`
    SELECT r.* FROM unnest(${[...purchasableIds]}::uuid[]) AS wanted(purchasable_id)
    CROSS JOIN LATERAL (
      SELECT ${REVIEW_COLUMNS} FROM reviews
      WHERE reviews.purchasable_id = wanted.purchasable_id ${afterPosition(page.after)}
      ${ORDER_BY[order]}
      LIMIT ${page.first + 1}
    ) AS r`;
  return groupBy(rows, (review) => review.purchasableId);
}

/** The same page of many users' reviews, newest first, in ONE statement (a LATERAL subquery per author). */
export async function reviewPagesByAuthor(
  prisma: PrismaClient,
  authorIds: readonly string[],
  page: Page<ReviewPosition>,
): Promise<Map<string, Review[]>> {
  const rows = await prisma.$queryRaw<Review[]>`
    SELECT r.* FROM unnest(${[...authorIds]}::uuid[]) AS wanted(author_id)
    CROSS JOIN LATERAL (
      SELECT ${REVIEW_COLUMNS} FROM reviews
      WHERE reviews.author_id = wanted.author_id ${afterPosition(page.after)}
      ${ORDER_BY.NEWEST}
      LIMIT ${page.first + 1}
    ) AS r`;
  return groupBy(rows, (review) => review.authorId);
}

export function reviewsByIds(prisma: PrismaClient, ids: readonly string[]): Promise<Review[]> {
  return prisma.review.findMany({ where: { id: { in: [...ids] } } });
}
