import { badUserInput, DateTimeScalar, isUuid, toConnection, type PageArgs } from '@storefront/api-conventions';
import { type GraphQLResolverMap } from '@storefront/subgraph-runtime';
import { type RequestContext } from '@storefront/http-host';
import { requireViewer } from '@storefront/identity';
import type { PrismaClient, Review } from './database.ts';
import type { ReviewsLoaders } from './loaders.ts';
import { purchaseKey } from './purchases.ts';
import { averageRating } from './rating-summaries.ts';
import { deleteReview, writeReview } from './review-mutations.ts';
import { parseReviewPage, reviewPositionOf, type ReviewOrder } from './reviews.ts';

export interface ReviewsContext extends RequestContext {
  prisma: PrismaClient;
  loaders: ReviewsLoaders;
}

/** This subgraph knows a purchasable only by id; the router asks catalog for its kind and everything else. */
type PurchasableReference = { __typename: 'Purchasable'; id: string };
/** Users live in accounts; reviews only knows their id (and, through a review, the name it keeps). */
type UserReference = { id: string };

function uuidArgument(value: string, argument: string): string {
  if (!isUuid(value)) throw badUserInput(`${argument} is not a valid id`, argument);
  return value;
}

export const resolvers: GraphQLResolverMap<ReviewsContext> = {
  DateTime: DateTimeScalar,

  Query: {
    review: (_: unknown, { id }: { id: string }, { loaders }: ReviewsContext) => loaders.reviewById.load(uuidArgument(id, 'id')),
  },

  Mutation: {
    writeReview(_: unknown, { input }: { input: unknown }, { prisma, viewer, requestId }: ReviewsContext) {
      return writeReview(prisma, requireViewer(viewer).userId, input, requestId);
    },
    deleteReview(_: unknown, { id }: { id: string }, { prisma, viewer, requestId }: ReviewsContext) {
      requireViewer(viewer);
      return deleteReview(prisma, viewer, uuidArgument(id, 'id'), requestId);
    },
  },

  Purchasable: {
    // Nothing to load: reviews are found by purchasable id, and an id that is not a UUID cannot exist.
    __resolveReference: (reference: { id: string }): PurchasableReference | null =>
      isUuid(reference.id) ? { __typename: 'Purchasable', id: reference.id } : null,
    async reviews(purchasable: PurchasableReference, args: PageArgs & { orderBy?: ReviewOrder | null }, { loaders }: ReviewsContext) {
      const order = args.orderBy ?? 'NEWEST';
      const page = parseReviewPage(args, order);
      return toConnection(await loaders.reviewsOfPurchasable({ page, order }).load(purchasable.id), page, reviewPositionOf(order));
    },
    averageRating: async (purchasable: PurchasableReference, _: unknown, { loaders }: ReviewsContext) =>
      averageRating(await loaders.ratingSummary.load(purchasable.id)),
    reviewCount: async (purchasable: PurchasableReference, _: unknown, { loaders }: ReviewsContext) =>
      (await loaders.ratingSummary.load(purchasable.id))?.reviewCount ?? 0,
  },

  User: {
    __resolveReference: (reference: { id: string }): UserReference | null => (isUuid(reference.id) ? { id: reference.id } : null),
    async reviews(user: UserReference, args: PageArgs, { loaders }: ReviewsContext) {
      const page = parseReviewPage(args, 'NEWEST');
      return toConnection(await loaders.reviewsOfAuthor(page).load(user.id), page, reviewPositionOf('NEWEST'));
    },
  },

  Review: {
    __resolveReference: (reference: { id: string }, { loaders }: ReviewsContext) =>
      isUuid(reference.id) ? loaders.reviewById.load(reference.id) : null,
    // The kept display name satisfies @provides(fields: "name"): the router does not ask accounts for it.
    author: (review: Review) => ({ __typename: 'User', id: review.authorId, name: review.authorName }),
    purchasable: (review: Review): PurchasableReference => ({ __typename: 'Purchasable', id: review.purchasableId }),
    verifiedPurchase: (review: Review, _: unknown, { loaders }: ReviewsContext) =>
      loaders.isPurchased.load(purchaseKey(review.authorId, review.purchasableId)),
  },
};
