/*
 * Shared set-up for this subgraph's HTTP tests (not a test itself): the subgraph on a fresh seeded database,
 * with a handle on the simulator it talks to so tests can change its settings and read its ledger.
 */
import { fileURLToPath } from 'node:url';
import { nameBasedUuid } from '@storefront/api-conventions';
import { viewerWithRoles, type Viewer } from '@storefront/identity';
import { SeedNamespace, type SeedPlan } from '@storefront/seed-world';
import { createPgPool } from '@storefront/prisma-tools';
import { startTestSubgraph, type TestSubgraph } from '@storefront/testing';
import { start } from './index.ts';
import { DEFAULT_PAYMENTS_SETTINGS, type PaymentsSettings } from './payments-settings.ts';
import { SimulatedPaymentProvider, type SimulatorSettings } from './simulated-provider.ts';

export const TEST_PLAN: SeedPlan = { users: 20, categories: 4, products: 60, warehouses: 2, orders: 120, wishlistItemsPerUser: 2 };

/** A deadline generous enough for a loaded CI machine; late answers are held far longer than that. */
export const TEST_SETTINGS: PaymentsSettings = {
  providerTimeoutMs: 1_000,
  simulator: { ...DEFAULT_PAYMENTS_SETTINGS.simulator, hangMs: 20_000 },
};

export const admin: Viewer = viewerWithRoles(nameBasedUuid(SeedNamespace.user, 0), ['ADMIN', 'CUSTOMER']);
export const customer: Viewer = viewerWithRoles(nameBasedUuid(SeedNamespace.user, 3), ['CUSTOMER']);

export interface PaymentsUnderTest extends TestSubgraph {
  simulator: SimulatedPaymentProvider;
  /** Puts the simulator back to the test settings (tests that change them call this afterwards). */
  resetSimulator(): void;
  /** The provider_calls audit of one payment, oldest first. */
  providerCalls(paymentId: string): Promise<Array<{ operation: string; outcome: string; error: string | null }>>;
}

export async function startPayments(): Promise<PaymentsUnderTest> {
  let simulator: SimulatedPaymentProvider | undefined;
  const subgraph = await startTestSubgraph(
    fileURLToPath(new URL('..', import.meta.url)),
    async (config, logger) => {
      const running = await start(config, logger, { settings: TEST_SETTINGS });
      if (running.provider instanceof SimulatedPaymentProvider) simulator = running.provider;
      return running;
    },
    TEST_PLAN,
  );
  if (!simulator) throw new Error('The payments subgraph did not start with the simulator');
  const running = simulator;
  const pool = createPgPool({ connectionString: subgraph.database.url, max: 1 });
  return {
    ...subgraph,
    simulator: running,
    resetSimulator: () => running.configure(TEST_SETTINGS.simulator satisfies SimulatorSettings),
    async providerCalls(paymentId) {
      const { rows } = await pool.query<{ operation: string; outcome: string; error: string | null }>(
        'SELECT operation, outcome, error FROM provider_calls WHERE payment_id = $1 ORDER BY created_at, id',
        [paymentId],
      );
      return rows;
    },
    async close() {
      await pool.end();
      await subgraph.close();
    },
  };
}

export interface InputErrorJson {
  path: string[];
  code: string;
  message: string;
}

export interface PaymentJson {
  id: string;
  status: string;
  amount: { amount: number; currency: string };
  refundedAmount: { amount: number; currency: string };
  declineReason: string | null;
  providerReference: string | null;
  order: { id: string };
}

export const PAYMENT_FIELDS = `id status amount { amount currency } refundedAmount { amount currency } declineReason providerReference order { id }`;
