/*
 * The checkout saga's world for tests: orders, inventory and payments each on a fresh Postgres database
 * (migrated, seeded from the shared seed world), their workers running in this process on a unique BullMQ
 * prefix of the local Redis, exactly as the worker processes run them.
 */
import { fileURLToPath } from 'node:url';
import { nameBasedUuid } from '@storefront/api-conventions';
import { SeedNamespace, type SeedPlan } from '@storefront/seed-world';
import { deleteQueueKeys, testQueueConnection } from '@storefront/events/testing';
import { type QueueConnection, type RunningServiceWorkers, type ServiceWorkersFactory, startServiceWorkers, type WorkerDatabase } from '@storefront/events';
import { createTestDatabase, seedTestDatabase, silentLogger, type TestDatabase } from '@storefront/testing';
import { openDatabase, type ServiceDatabase } from '@storefront/prisma-tools';
import { TRANSACTION_DEFAULTS } from '@storefront/subgraph-runtime';
import { PrismaClient as InventoryClient } from '../../subgraphs/inventory/src/database.ts';
import { createWorkers as inventoryWorkers } from '../../subgraphs/inventory/src/workers.ts';
import { PrismaClient as OrdersClient } from '../../subgraphs/orders/src/database.ts';
import { createWorkers as ordersWorkers } from '../../subgraphs/orders/src/workers.ts';
import { PrismaClient as PaymentsClient } from '../../subgraphs/payments/src/database.ts';
import { createWorkers as paymentsWorkers } from '../../subgraphs/payments/src/workers.ts';

export const SAGA_PLAN: SeedPlan = { users: 10, categories: 2, products: 12, warehouses: 2, orders: 10, wishlistItemsPerUser: 0 };
export const userId = (index: number) => nameBasedUuid(SeedNamespace.user, index);
export const productId = (index: number) => nameBasedUuid(SeedNamespace.product, index);

interface Service<Client> {
  prisma: Client;
  database: TestDatabase;
  opened: ServiceDatabase;
}

async function openService<Client>(name: string, create: (adapter: ServiceDatabase['adapter']) => Client): Promise<Service<Client>> {
  const dir = fileURLToPath(new URL(`../../subgraphs/${name}/`, import.meta.url));
  const database = await createTestDatabase(`saga_${name}`);
  const migrationsDir = `${dir}prisma/migrations`;
  const opened = await openDatabase({ target: { kind: 'postgres', url: database.url }, migrationsDir, migrate: true, poolSize: 10 });
  await seedTestDatabase(`${dir}prisma/seed.ts`, migrationsDir, database.url, SAGA_PLAN);
  return { prisma: create(opened.adapter), database, opened };
}

export interface SagaWorld {
  orders: OrdersClient;
  inventory: InventoryClient;
  payments: PaymentsClient;
  queues: QueueConnection;
  /** Starts (or restarts) the three services' workers with these environment overrides. */
  startWorkers(env?: Record<string, string>, options?: StartWorkersOptions): Promise<void>;
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

export interface StartWorkersOptions {
  /** Run the relays with their production poll delays instead of the tests' short ones (the benchmark's lone checkouts). */
  productionRelays?: boolean;
  /** Relays that only poll, without LISTENing for commits (the benchmark's comparison with how it was). */
  pollOnly?: boolean;
}

export async function startSagaWorld(): Promise<SagaWorld> {
  const [orders, inventory, payments] = await Promise.all([
    openService('orders', (adapter) => new OrdersClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS })),
    openService('inventory', (adapter) => new InventoryClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS })),
    openService('payments', (adapter) => new PaymentsClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS })),
  ]);
  const queues = testQueueConnection('saga');
  let running: RunningServiceWorkers[] = [];

  async function start<Client extends WorkerDatabase>(
    service: Service<Client & WorkerDatabase>,
    name: string,
    factory: ServiceWorkersFactory<Client & WorkerDatabase>,
    env: NodeJS.ProcessEnv,
    options: StartWorkersOptions,
  ) {
    const relayIdleDelayMs = options.productionRelays ? undefined : { min: 20, max: 200 };
    const outboxListenUrl = options.pollOnly ? undefined : service.database.url;
    return startServiceWorkers(name, factory, { prisma: service.prisma, queues, logger: silentLogger, env }, { relayIdleDelayMs, outboxListenUrl });
  }

  return {
    orders: orders.prisma,
    inventory: inventory.prisma,
    payments: payments.prisma,
    queues,
    async startWorkers(overrides = {}, options = {}) {
      const env = { ...process.env, SAGA_DEADLINE_SWEEP_MS: '200', PAYMENTS_PROVIDER_LATENCY_MS: '0', ...overrides };
      // Called again, it adds another instance of each service (as replicas would run); close() stops them all.
      running.push(
        ...(await Promise.all([
          start(orders, 'orders', ordersWorkers, env, options),
          start(inventory, 'inventory', inventoryWorkers, env, options),
          start(payments, 'payments', paymentsWorkers, env, options),
        ])),
      );
    },
    async stopWorkers() {
      await Promise.all(running.map((workers) => workers.close()));
      running = [];
    },
    async close() {
      await Promise.all(running.map((workers) => workers.close()));
      for (const service of [orders, inventory, payments]) {
        await (service.prisma as { $disconnect(): Promise<void> }).$disconnect();
        await service.opened.close();
        await service.database.drop();
      }
      await deleteQueueKeys(queues.prefix);
    },
  };
}
