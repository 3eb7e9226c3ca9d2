import { inputError, InputErrorCode, multiLineText, singleLineText, validateInput, type InputError } from '@storefront/api-conventions';
import { requireOwnerOrAdmin, type Viewer } from '@storefront/identity';
import { defineEvent, writeToOutbox } from '@storefront/events';
import { z } from 'zod';
import type { PrismaClient, Review } from './database.ts';
import { addToSummary, removeFromSummary } from './rating-summaries.ts';

export type ReviewPayload = { review: Review | null; errors: InputError[] };

const writeReviewSchema = z.object({
  purchasableId: z.uuid(),
  rating: z.number().int().min(1).max(5),
  title: singleLineText().trim().min(1).max(120),
  body: multiLineText().trim().min(1).max(5_000),
});

const refused = (path: string[], code: InputErrorCode, message: string): ReviewPayload => ({
  review: null,
  errors: [inputError(path, code, message)],
});

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === 'P2002';

const reviewEventPayload = (review: Review) => ({
  reviewId: review.id,
  productId: review.purchasableId,
  userId: review.authorId,
  rating: review.rating,
});

/**
 * ReviewPublished v1 for a just-created review. `productId` is the purchasable's id: reviews does not know
 * its kind, so consumers ignore ids that are not theirs (a gift card's, for catalog's ratings).
 */
export function reviewPublishedEvent(review: Review, correlationId: string | null) {
  return defineEvent({
    type: 'ReviewPublished',
    version: 1,
    source: 'reviews',
    aggregateId: review.id,
    correlationId,
    occurredAt: review.createdAt,
    payload: reviewEventPayload(review),
  });
}

/** ReviewDeleted v1 for a just-removed review: what its ReviewPublished announced, to be taken back. */
export function reviewDeletedEvent(review: Review, correlationId: string | null) {
  return defineEvent({ type: 'ReviewDeleted', version: 1, source: 'reviews', aggregateId: review.id, correlationId, payload: reviewEventPayload(review) });
}

/**
 * Writes the viewer's review of something they bought. The review, its purchasable's rating summary and its
 * ReviewPublished event (outbox; `correlationId`: the request id) change in one transaction. A second review
 * by the same author is refused by the (author, purchasable) unique constraint rather than a prior lookup, so
 * concurrent submissions cannot both get in (nor both publish).
 */
export async function writeReview(prisma: PrismaClient, authorId: string, input: unknown, correlationId: string | null = null): Promise<ReviewPayload> {
  const valid = validateInput(writeReviewSchema, input);
  if (!valid.ok) return { review: null, errors: valid.errors };
  const { purchasableId, rating, title, body } = valid.value;

  const [purchase, author] = await Promise.all([
    prisma.purchase.findUnique({ where: { userId_purchasableId: { userId: authorId, purchasableId } } }),
    prisma.author.findUnique({ where: { userId: authorId } }),
  ]);
  if (!purchase) return refused(['input', 'purchasableId'], InputErrorCode.NOT_PURCHASED, 'You can only review what you have bought');
  // Names arrive from accounts' user events; until this user's has, there is no name to show under the review.
  if (!author) return refused(['input'], InputErrorCode.INVALID_STATE, 'Your profile is not ready for reviews yet; try again in a minute');

  try {
    const review = await prisma.$transaction(async (tx) => {
      const created = await tx.review.create({
        data: { purchasableId, authorId, authorName: author.displayName, rating, title, body, orderId: purchase.firstOrderId },
      });
      await addToSummary(tx, purchasableId, rating);
      await writeToOutbox(tx, reviewPublishedEvent(created, correlationId));
      return created;
    });
    return { review, errors: [] };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return refused(['input', 'purchasableId'], InputErrorCode.ALREADY_EXISTS, 'You have already reviewed this');
  }
}

/**
 * Deletes a review: its author or an admin may (anyone else gets FORBIDDEN). The delete, the summary change and
 * the ReviewDeleted event share a transaction, and the last two happen only when this call's DELETE removed the
 * row, so concurrent deletes of one review count it out once and announce it once.
 */
export async function deleteReview(prisma: PrismaClient, viewer: Viewer | null, id: string, correlationId: string | null = null): Promise<ReviewPayload> {
  const review = await prisma.review.findUnique({ where: { id } });
  if (!review) return refused(['id'], InputErrorCode.NOT_FOUND, 'No such review');
  requireOwnerOrAdmin(viewer, review.authorId);
  const deleted = await prisma.$transaction(async (tx) => {
    const { count } = await tx.review.deleteMany({ where: { id } });
    if (count === 0) return false;
    await removeFromSummary(tx, review.purchasableId, review.rating);
    await writeToOutbox(tx, reviewDeletedEvent(review, correlationId));
    return true;
  });
  return deleted ? { review, errors: [] } : refused(['id'], InputErrorCode.NOT_FOUND, 'No such review');
}
