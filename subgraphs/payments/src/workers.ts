import { defineConsumer, type ServiceWorkersFactory } from '@storefront/events';
import { z } from 'zod';
import { type PrismaClient } from './database.ts';
import { loadPaymentsSettings } from './payments-settings.ts';
import { recallLedgerEntry } from './payments.ts';
import { type ProviderGateway } from './provider-calls.ts';
import { onPaymentAuthorizationRequested, onPaymentCaptureRequested, onPaymentVoidRequested } from './saga-commands.ts';
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
            PaymentAuthorizationRequested: (event, tx) => onPaymentAuthorizationRequested(prisma, gateway, tx, event),
            PaymentCaptureRequested: (event, tx) => onPaymentCaptureRequested(prisma, gateway, tx, event),
            PaymentVoidRequested: (event, tx) => onPaymentVoidRequested(prisma, gateway, tx, event),
          },
        }),
      ],
      jobs: [],
      schedules: [],
    };
  };
}

export const createWorkers = paymentsWorkers();
