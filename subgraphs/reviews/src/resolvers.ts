import { badUserInput, DateTimeScalar, isUuid, toConnection } from '@storefront/api-conventions';
import { type RequestContext } from '@storefront/http-host';
import { requireViewer } from '@storefront/identity';
import type { Resolvers } from './generated/resolvers-types.ts';
import type { PrismaClient } from './database.ts';
import type { ReviewsLoaders } from './loaders.ts';
import { purchaseKey } from './purchases.ts';
import { averageRating } from './rating-summaries.ts';
import { deleteReview, writeReview } from './review-mutations.ts';
import { parseReviewPage, reviewPositionOf } from './reviews.ts';

export interface ReviewsContext extends RequestContext {
  prisma: PrismaClient;
  loaders: ReviewsLoaders;
}

/** This subgraph knows a purchasable only by id; the router asks catalog for its kind and everything else. */
export type PurchasableParent = { __typename: 'Purchasable'; id: string };
/** Users live in accounts; reviews only knows their id (and, through a review, the name it keeps: @provides). */
export type UserParent = { __typename?: 'User'; id: string; name?: string };

function uuidArgument(value: string, argument: string): string {
  if (!isUuid(value)) throw badUserInput(`${argument} is not a valid id`, argument);
  return value;
}

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,

  Query: {
    review: (_, { id }, { loaders }) => loaders.reviewById.load(uuidArgument(id, 'id')),
  },

  Mutation: {
    writeReview(_, { input }, { prisma, viewer, requestId }) {
      return writeReview(prisma, requireViewer(viewer).userId, input, requestId);
    },
    deleteReview(_, { id }, { prisma, viewer, requestId }) {
      requireViewer(viewer);
      return deleteReview(prisma, viewer, uuidArgument(id, 'id'), requestId);
    },
  },

  Purchasable: {
    // Nothing to load: reviews are found by purchasable id, and an id that is not a UUID cannot exist.
    __resolveReference: (reference): PurchasableParent | null =>
      isUuid(reference.id) ? { __typename: 'Purchasable', id: reference.id } : null,
    async reviews(purchasable, args, { loaders }) {
      const order = args.orderBy ?? 'NEWEST';
      const page = parseReviewPage(args, order);
      return toConnection(await loaders.reviewsOfPurchasable({ page, order }).load(purchasable.id), page, reviewPositionOf(order));
    },
    averageRating: async (purchasable, _, { loaders }) =>
      averageRating(await loaders.ratingSummary.load(purchasable.id)),
    reviewCount: async (purchasable, _, { loaders }) =>
      (await loaders.ratingSummary.load(purchasable.id))?.reviewCount ?? 0,
  },

  User: {
    __resolveReference: (reference): UserParent | null => (isUuid(reference.id) ? { id: reference.id } : null),
    async reviews(user, args, { loaders }) {
      const page = parseReviewPage(args, 'NEWEST');
      return toConnection(await loaders.reviewsOfAuthor(page).load(user.id), page, reviewPositionOf('NEWEST'));
    },
  },

  Review: {
    __resolveReference: (reference, { loaders }) =>
      isUuid(reference.id) ? loaders.reviewById.load(reference.id) : null,
    // The kept display name satisfies @provides(fields: "name"): the router does not ask accounts for it.
    author: (review) => ({ __typename: 'User', id: review.authorId, name: review.authorName }),
    purchasable: (review): PurchasableParent => ({ __typename: 'Purchasable', id: review.purchasableId }),
    verifiedPurchase: (review, _, { loaders }) =>
      loaders.isPurchased.load(purchaseKey(review.authorId, review.purchasableId)),
  },
};
