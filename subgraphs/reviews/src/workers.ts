import type { ServiceWorkersFactory } from '@storefront/events';
import type { PrismaClient } from './database.ts';

/**
 * Reviews consumes nothing and runs no heavy jobs yet; the host still runs its outbox relay (relay defaults to
 * true), which publishes the ReviewPublished events writeReview records.
 */
export const createWorkers: ServiceWorkersFactory<PrismaClient> = () => ({ consumers: [], jobs: [], schedules: [] });
