import { defineConsumer, type ServiceWorkersFactory } from '@storefront/events';
import type { Prisma, PrismaClient } from './database.ts';
import { REVIEWS_CONSUMER, reviewsEventHandlers } from './purchase-events.ts';

/**
 * Reviews' background work: the `reviews` consumer (orders turning PAID become verified purchases, new users
 * become authors) and the outbox relay (relay defaults to true), which publishes the ReviewPublished and
 * ReviewDeleted events writeReview and deleteReview record.
 */
export const createWorkers: ServiceWorkersFactory<PrismaClient> = ({ prisma, logger }) => ({
  consumers: [defineConsumer<Prisma.TransactionClient>({ consumer: REVIEWS_CONSUMER, db: prisma, handlers: reviewsEventHandlers(logger) })],
  jobs: [],
  schedules: [],
});
