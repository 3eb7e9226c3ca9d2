import { defineConsumer, type ServiceWorkersFactory } from '@storefront/events';
import type { PrismaClient } from './database.ts';
import { productImportJob } from './imports/import-job.ts';
import { applyReviewDeleted, applyReviewPublished } from './ratings.ts';

/**
 * Catalog's background work: the catalog-ratings consumer (reviews' ReviewPublished and ReviewDeleted → each
 * product's rating columns) and the product-import worker. Catalog publishes no events, so it has no outbox to relay.
 */
export const createWorkers: ServiceWorkersFactory<PrismaClient> = ({ prisma, logger }) => ({
  consumers: [
    defineConsumer({
      consumer: 'catalog-ratings',
      db: prisma,
      handlers: {
        ReviewPublished: async (event, tx) => {
          await applyReviewPublished(tx, event, logger);
        },
        ReviewDeleted: async (event, tx) => {
          await applyReviewDeleted(tx, event, logger);
        },
      },
    }),
  ],
  jobs: [productImportJob(prisma, {}, logger)],
  schedules: [],
  relay: false,
});
