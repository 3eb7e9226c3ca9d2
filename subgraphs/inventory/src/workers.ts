import { defineConsumer, defineJob, type ServiceWorkersFactory } from '@storefront/events';
import { z } from 'zod';
import { type PrismaClient } from './database.ts';
import { expireAndAnnounce, onStockCommitRequested, onStockReleaseRequested, onStockReservationRequested } from './saga-commands.ts';

const EXPIRY_QUEUE = 'jobs.reservation-expiry';

const workerEnv = z.object({
  RESERVATION_TTL_SECONDS: z.coerce.number().int().min(1).max(7 * 86_400).default(900),
  RESERVATION_SWEEP_MS: z.coerce.number().int().min(100).default(10_000),
  INVENTORY_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
});

/** inventory's background work: the saga's stock commands and the reservation expiry sweep. */
export const createWorkers: ServiceWorkersFactory<PrismaClient> = ({ prisma, env }) => {
  const settings = workerEnv.parse(env);
  return {
    consumers: [
      defineConsumer({
        consumer: 'inventory',
        db: prisma,
        concurrency: settings.INVENTORY_CONCURRENCY,
        handlers: {
          StockReservationRequested: (event, tx) => onStockReservationRequested(prisma, tx, event, { reservationTtlSeconds: settings.RESERVATION_TTL_SECONDS }),
          StockCommitRequested: (event, tx) => onStockCommitRequested(prisma, tx, event),
          StockReleaseRequested: (event, tx) => onStockReleaseRequested(prisma, tx, event),
        },
      }),
    ],
    jobs: [defineJob({ queue: EXPIRY_QUEUE, processor: async () => ({ expired: await expireAndAnnounce(prisma) }) })],
    schedules: [{ queue: EXPIRY_QUEUE, schedulerId: 'reservation-expiry', everyMs: settings.RESERVATION_SWEEP_MS, jobName: 'sweep' }],
  };
};
