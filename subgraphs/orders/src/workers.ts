import { defineConsumer, defineJob, type ServiceWorkersFactory } from '@storefront/events';
import { z } from 'zod';
import { type PrismaClient } from './database.ts';
import { documentWorkers } from './documents/workers.ts';
import { applySagaReply, DEFAULT_SAGA_SETTINGS, expireOverdueSagas } from './saga/order-saga.ts';

const SAGA_DEADLINES_QUEUE = 'jobs.saga-deadlines';

const workerEnv = z.object({
  SAGA_PAYMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(DEFAULT_SAGA_SETTINGS.paymentTimeoutMs),
  SAGA_DEADLINE_SWEEP_MS: z.coerce.number().int().min(100).default(5_000),
  SAGA_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
});

/** orders' background work: the checkout saga's reply consumer and deadline sweep, invoices and sales reports. */
export const createWorkers: ServiceWorkersFactory<PrismaClient> = (runtime) => {
  const { prisma, env } = runtime;
  const settings = workerEnv.parse(env);
  const documents = documentWorkers(runtime);
  const sagaSettings = { paymentTimeoutMs: settings.SAGA_PAYMENT_TIMEOUT_MS };
  const reply = (event: Parameters<typeof applySagaReply>[1], tx: Parameters<typeof applySagaReply>[0]) => applySagaReply(tx, event, sagaSettings);
  return {
    consumers: [
      defineConsumer({
        consumer: 'orders-saga',
        db: prisma,
        concurrency: settings.SAGA_CONCURRENCY,
        handlers: {
          StockReserved: reply,
          StockReservationFailed: reply,
          StockCommitted: reply,
          StockCommitFailed: reply,
          StockReleased: reply,
          StockReservationExpired: reply,
          PaymentAuthorized: reply,
          PaymentDeclined: reply,
          PaymentCaptured: reply,
          PaymentVoided: reply,
        },
      }),
      ...documents.consumers,
    ],
    jobs: [
      ...documents.jobs,
      defineJob({
        queue: SAGA_DEADLINES_QUEUE,
        processor: async () => ({ cancelled: await expireOverdueSagas(prisma) }),
      }),
    ],
    schedules: [{ queue: SAGA_DEADLINES_QUEUE, schedulerId: 'saga-deadlines', everyMs: settings.SAGA_DEADLINE_SWEEP_MS, jobName: 'sweep' }],
  };
};
