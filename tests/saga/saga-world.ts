/*
 * The checkout saga's world for tests: orders, inventory and payments each on a fresh Postgres database
 * (migrated, seeded from the shared seed world), their workers running in this process on a unique BullMQ
 * prefix of the local Redis, exactly as the worker processes run them.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { nameBasedUuid, SeedNamespace, type SeedPlan } from '@storefront/common';
import { type QueueConnection, type RunningServiceWorkers, type ServiceWorkersFactory, startServiceWorkers, type TransactionalDatabase } from '@storefront/events';
import { createTestDatabase, openDatabase, seedTestDatabase, silentLogger, TRANSACTION_DEFAULTS, type ServiceDatabase, type TestDatabase } from '@storefront/prisma-tools';
import { Redis } from 'ioredis';
import { PrismaClient as InventoryClient } from '../../subgraphs/inventory/src/database.ts';
import { createWorkers as inventoryWorkers } from '../../subgraphs/inventory/src/workers.ts';
import { PrismaClient as OrdersClient } from '../../subgraphs/orders/src/database.ts';
import { createWorkers as ordersWorkers } from '../../subgraphs/orders/src/workers.ts';
import { PrismaClient as PaymentsClient } from '../../subgraphs/payments/src/database.ts';
import { createWorkers as paymentsWorkers } from '../../subgraphs/payments/src/workers.ts';

export const SAGA_PLAN: SeedPlan = { users: 10, categories: 2, products: 12, warehouses: 2, orders: 10, wishlistItemsPerUser: 0 };
export const userId = (index: number) => nameBasedUuid(SeedNamespace.user, index);
export const productId = (index: number) => nameBasedUuid(SeedNamespace.product, index);
const REDIS = { host: process.env.TEST_REDIS_HOST ?? '127.0.0.1', port: Number(process.env.TEST_REDIS_PORT ?? 6379) };

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
  startWorkers(env?: Record<string, string>): Promise<void>;
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

export async function startSagaWorld(): Promise<SagaWorld> {
  const [orders, inventory, payments] = await Promise.all([
    openService('orders', (adapter) => new OrdersClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS })),
    openService('inventory', (adapter) => new InventoryClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS })),
    openService('payments', (adapter) => new PaymentsClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS })),
  ]);
  const prefix = `test-saga:${randomUUID()}`;
  const queues: QueueConnection = { connection: { ...REDIS, maxRetriesPerRequest: null }, prefix };
  let running: RunningServiceWorkers[] = [];

  async function start<Client extends TransactionalDatabase>(name: string, prisma: Client, factory: ServiceWorkersFactory<Client>, env: NodeJS.ProcessEnv) {
    return startServiceWorkers(name, factory, { prisma, queues, logger: silentLogger, env }, { relayIdleDelayMs: { min: 20, max: 200 } });
  }

  return {
    orders: orders.prisma,
    inventory: inventory.prisma,
    payments: payments.prisma,
    queues,
    async startWorkers(overrides = {}) {
      const env = { ...process.env, SAGA_DEADLINE_SWEEP_MS: '200', PAYMENTS_PROVIDER_LATENCY_MS: '0', ...overrides };
      running = await Promise.all([
        start('orders', orders.prisma, ordersWorkers, env),
        start('inventory', inventory.prisma, inventoryWorkers, env),
        start('payments', payments.prisma, paymentsWorkers, env),
      ]);
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
      const redis = new Redis(REDIS);
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length) await redis.del(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}

/** Polls until `check` holds, or fails naming `what`. */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
