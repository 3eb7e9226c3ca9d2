import { defineSubgraph, type SubgraphScope } from '@storefront/subgraph-runtime';
import * as database from './database.ts';
import type { PrismaClient } from './database.ts';
import { createLoaders } from './loaders.ts';
import { recallLedgerEntry } from './payments.ts';
import { DEFAULT_PAYMENTS_SETTINGS, type PaymentsSettings } from './payments-settings.ts';
import type { PaymentProvider } from './provider.ts';
import type { ProviderGateway } from './provider-calls.ts';
import { resolvers } from './resolvers.ts';
import { SimulatedPaymentProvider } from './simulated-provider.ts';
import { paymentsWorkers } from './workers.ts';

export { createWorkers } from './workers.ts';
export type { PaymentProvider } from './provider.ts';
export { loadPaymentsSettings, type PaymentsSettings } from './payments-settings.ts';
export { SimulatedPaymentProvider, type LedgerEntry, type SimulatorSettings } from './simulated-provider.ts';

export interface PaymentsOptions {
  /** Provider settings (main.ts reads them from the environment); defaults decline nothing at random. */
  settings?: PaymentsSettings;
  /** Another provider instead of the simulator built from `settings` (tests inject their own). */
  provider?: PaymentProvider;
}

function openProvider({ options, client }: SubgraphScope<PrismaClient, PaymentsOptions>): { provider: PaymentProvider; gateway: ProviderGateway } {
  const settings = options.settings ?? DEFAULT_PAYMENTS_SETTINGS;
  // The simulator's memory is this process; our own records stand in for a real processor's durable ledger.
  const provider = options.provider ?? new SimulatedPaymentProvider(settings.simulator, { recall: (reference) => recallLedgerEntry(client(), reference) });
  return { provider, gateway: { provider, deadlineMs: settings.providerTimeoutMs } };
}

export const payments = defineSubgraph({
  entry: import.meta.url,
  database,
  resolvers,
  open: openProvider,
  // In-process workers share this process's provider (the simulator's memory of what it answered).
  workersOf: ({ provider }) => paymentsWorkers({ provider }),
  context: (request, prisma, { gateway }) => ({ ...request, prisma, loaders: createLoaders(prisma), gateway }),
  /** The provider this process talks to: the simulator unless one was injected (tests inspect its ledger). */
  expose: ({ provider }) => ({ provider }),
});

export const { name: SUBGRAPH_NAME, port: DEFAULT_PORT, typeDefs, start } = payments;
