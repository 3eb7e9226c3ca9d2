import { defineConsumer, type DomainEvent, effectFirst, type ServiceWorkersFactory } from '@storefront/events';
import { z } from 'zod';
import { type Prisma, type PrismaClient } from './database.ts';
import { capturePayment } from './payment-lifecycle.ts';
import { loadPaymentsSettings } from './payments-settings.ts';
import { recallLedgerEntry } from './payments.ts';
import { type ProviderGateway } from './provider-calls.ts';
import { authorizeForOrder, replyToAuthorization, replyToCapture, replyToVoid, voidForOrder } from './saga-commands.ts';
import { SimulatedPaymentProvider } from './simulated-provider.ts';
import { type PaymentProvider } from './provider.ts';

const workerEnv = z.object({ PAYMENTS_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8) });

/** payments' background work: the saga's payment commands, against the provider (the simulator here). */
export function paymentsWorkers(options: { provider?: PaymentProvider } = {}): ServiceWorkersFactory<PrismaClient> {
  return ({ prisma, env }) => {
    const settings = loadPaymentsSettings(env);
    const { PAYMENTS_CONCURRENCY } = workerEnv.parse(env);
    const provider = options.provider ?? new SimulatedPaymentProvider(settings.simulator, { recall: (reference) => recallLedgerEntry(prisma, reference) });
    const gateway: ProviderGateway = { provider, deadlineMs: settings.providerTimeoutMs };
    return {
      consumers: [
        defineConsumer({
          consumer: 'payments',
          db: prisma,
          concurrency: PAYMENTS_CONCURRENCY,
          handlers: {
            PaymentAuthorizationRequested: effectFirst({
              effect: (event: DomainEvent<'PaymentAuthorizationRequested'>) => authorizeForOrder(prisma, gateway, event),
              record: (event, tx: Prisma.TransactionClient, result) => replyToAuthorization(tx, event, result),
            }),
            PaymentCaptureRequested: effectFirst({
              effect: (event: DomainEvent<'PaymentCaptureRequested'>) => capturePayment(prisma, gateway, { orderId: event.payload.orderId }),
              record: (event, tx: Prisma.TransactionClient, result) => replyToCapture(tx, event, result),
            }),
            PaymentVoidRequested: effectFirst({
              effect: (event: DomainEvent<'PaymentVoidRequested'>) => voidForOrder(prisma, gateway, event),
              record: (event, tx: Prisma.TransactionClient, paymentId) => replyToVoid(tx, event, paymentId),
            }),
          },
        }),
      ],
      jobs: [],
      schedules: [],
    };
  };
}

export const createWorkers = paymentsWorkers();
