import { readFileSync } from 'node:fs';
import type { Logger } from '@storefront/telemetry';
import { startPrismaSubgraph, TRANSACTION_DEFAULTS, type RunningSubgraph, type SubgraphConfig } from '@storefront/prisma-tools';
import { hostedWorkers } from '@storefront/events';
import { parse } from 'graphql';
import { MIGRATIONS_DIR, PrismaClient } from './database.ts';
import { createLoaders } from './loaders.ts';
import { recallLedgerEntry } from './payments.ts';
import { DEFAULT_PAYMENTS_SETTINGS, type PaymentsSettings } from './payments-settings.ts';
import type { PaymentProvider } from './provider.ts';
import type { ProviderGateway } from './provider-calls.ts';
import { resolvers, type PaymentsContext } from './resolvers.ts';
import { SimulatedPaymentProvider } from './simulated-provider.ts';
import { paymentsWorkers } from './workers.ts';

export { createWorkers } from './workers.ts';

export const SUBGRAPH_NAME = 'payments';
export const DEFAULT_PORT = 4005;
export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export type { PaymentProvider } from './provider.ts';
export { loadPaymentsSettings, type PaymentsSettings } from './payments-settings.ts';
export { SimulatedPaymentProvider, type LedgerEntry, type SimulatorSettings } from './simulated-provider.ts';

export interface PaymentsOptions {
  /** Provider settings (main.ts reads them from the environment); defaults decline nothing at random. */
  settings?: PaymentsSettings;
  /** Another provider instead of the simulator built from `settings` (tests inject their own). */
  provider?: PaymentProvider;
}

export interface RunningPaymentsSubgraph extends RunningSubgraph {
  /** The provider this process talks to: the simulator unless one was injected. */
  provider: PaymentProvider;
}

export async function start(config: SubgraphConfig, logger?: Logger, options: PaymentsOptions = {}): Promise<RunningPaymentsSubgraph> {
  const settings = options.settings ?? DEFAULT_PAYMENTS_SETTINGS;
  let client: PrismaClient | undefined;
  // The simulator's memory is this process; our own records stand in for a real processor's durable ledger.
  const provider =
    options.provider ??
    new SimulatedPaymentProvider(settings.simulator, {
      recall: async (reference) => (client ? recallLedgerEntry(client, reference) : null),
    });
  const gateway: ProviderGateway = { provider, deadlineMs: settings.providerTimeoutMs };
  const running = await startPrismaSubgraph<PrismaClient, PaymentsContext>(
    {
      name: SUBGRAPH_NAME,
      typeDefs,
      resolvers,
      migrationsDir: MIGRATIONS_DIR,
      createClient: (adapter) => (client = new PrismaClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS })),
      context: (request, prisma) => ({ ...request, prisma, loaders: createLoaders(prisma), gateway }),
      // In-process workers share this process's provider (the simulator's memory of what it answered).
      background: hostedWorkers(SUBGRAPH_NAME, paymentsWorkers({ provider })),
    },
    config,
    logger,
  );
  return { ...running, provider };
}
