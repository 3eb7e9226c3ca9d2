import type { ServiceWorkersFactory } from '@storefront/events';
import type { PrismaClient } from './database.ts';

/**
 * accounts consumes no events and runs no jobs; it publishes (UserRegistered) through its outbox, whose
 * relay the host starts because `relay` is true.
 */
export const createWorkers: ServiceWorkersFactory<PrismaClient> = () => ({ consumers: [], jobs: [], schedules: [], relay: true });
