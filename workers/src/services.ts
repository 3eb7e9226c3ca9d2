import { type SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { type ServiceWorkersFactory, type TransactionalDatabase } from '@storefront/events';
import { TRANSACTION_DEFAULTS } from '@storefront/prisma-tools';

/** What the worker host needs of a service: how to open its Prisma client, and its worker factory. */
export interface WorkerService {
  name: string;
  /** The ops port (/health, /ready, /metrics) when this service runs alone: 4100 + its subgraph's offset. */
  port: number;
  load(): Promise<{
    migrationsDir: string;
    createClient(adapter: SqlDriverAdapterFactory): TransactionalDatabase & { $disconnect(): Promise<void> };
    createWorkers: ServiceWorkersFactory<never>;
  }>;
}

// Loaded on demand: a worker process for orders never imports (or connects to) another service's database code.
export const WORKER_SERVICES: readonly WorkerService[] = [
  {
    name: 'accounts',
    port: 4101,
    load: async () => {
      const [{ MIGRATIONS_DIR, PrismaClient }, { createWorkers }] = await Promise.all([import('@storefront/accounts/database'), import('@storefront/accounts/workers')]);
      return { migrationsDir: MIGRATIONS_DIR, createClient: (adapter) => new PrismaClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS }), createWorkers };
    },
  },
  {
    name: 'catalog',
    port: 4102,
    load: async () => {
      const [{ MIGRATIONS_DIR, PrismaClient }, { createWorkers }] = await Promise.all([import('@storefront/catalog/database'), import('@storefront/catalog/workers')]);
      return { migrationsDir: MIGRATIONS_DIR, createClient: (adapter) => new PrismaClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS }), createWorkers };
    },
  },
  {
    name: 'inventory',
    port: 4103,
    load: async () => {
      const [{ MIGRATIONS_DIR, PrismaClient }, { createWorkers }] = await Promise.all([import('@storefront/inventory/database'), import('@storefront/inventory/workers')]);
      return { migrationsDir: MIGRATIONS_DIR, createClient: (adapter) => new PrismaClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS }), createWorkers };
    },
  },
  {
    name: 'orders',
    port: 4104,
    load: async () => {
      const [{ MIGRATIONS_DIR, PrismaClient }, { createWorkers }] = await Promise.all([import('@storefront/orders/database'), import('@storefront/orders/workers')]);
      return { migrationsDir: MIGRATIONS_DIR, createClient: (adapter) => new PrismaClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS }), createWorkers };
    },
  },
  {
    name: 'payments',
    port: 4105,
    load: async () => {
      const [{ MIGRATIONS_DIR, PrismaClient }, { createWorkers }] = await Promise.all([import('@storefront/payments/database'), import('@storefront/payments/workers')]);
      return { migrationsDir: MIGRATIONS_DIR, createClient: (adapter) => new PrismaClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS }), createWorkers };
    },
  },
  {
    name: 'reviews',
    port: 4106,
    load: async () => {
      const [{ MIGRATIONS_DIR, PrismaClient }, { createWorkers }] = await Promise.all([import('@storefront/reviews/database'), import('@storefront/reviews/workers')]);
      return { migrationsDir: MIGRATIONS_DIR, createClient: (adapter) => new PrismaClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS }), createWorkers };
    },
  },
  {
    name: 'notifications',
    port: 4107,
    load: async () => {
      const [{ MIGRATIONS_DIR, PrismaClient }, { createWorkers }] = await Promise.all([
        import('@storefront/notifications/database'),
        import('@storefront/notifications/workers'),
      ]);
      return { migrationsDir: MIGRATIONS_DIR, createClient: (adapter) => new PrismaClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS }), createWorkers };
    },
  },
];
