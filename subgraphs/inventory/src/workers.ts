import { defineConsumer, defineJob, type DomainEvent, effectFirst, type ServiceWorkersFactory } from '@storefront/events';
import { z } from 'zod';
import { type Prisma, type PrismaClient } from './database.ts';
import { commitReservation, releaseReservation } from './reservation-transitions.ts';
import { expireAndAnnounce, replyToCommit, replyToRelease, replyToReservation, reserveForOrder } from './saga-commands.ts';

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
          StockReservationRequested: effectFirst({
            effect: (event: DomainEvent<'StockReservationRequested'>) => reserveForOrder(prisma, event, { reservationTtlSeconds: settings.RESERVATION_TTL_SECONDS }),
            record: (event, tx: Prisma.TransactionClient, result) => replyToReservation(tx, event, result),
          }),
          StockCommitRequested: effectFirst({
            effect: (event: DomainEvent<'StockCommitRequested'>) => commitReservation(prisma, event.payload.orderId),
            record: (event, tx: Prisma.TransactionClient, result) => replyToCommit(tx, event, result),
          }),
          StockReleaseRequested: effectFirst({
            effect: (event: DomainEvent<'StockReleaseRequested'>) => releaseReservation(prisma, event.payload.orderId),
            record: (event, tx: Prisma.TransactionClient, result) => replyToRelease(tx, event, result),
          }),
        },
      }),
    ],
    jobs: [defineJob({ queue: EXPIRY_QUEUE, processor: async () => ({ expired: await expireAndAnnounce(prisma) }) })],
    schedules: [{ queue: EXPIRY_QUEUE, schedulerId: 'reservation-expiry', everyMs: settings.RESERVATION_SWEEP_MS, jobName: 'sweep' }],
  };
};
