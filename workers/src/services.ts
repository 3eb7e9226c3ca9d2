import { type SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { listSubgraphs } from '@storefront/common';
import { type WorkerDatabase, type ServiceWorkersFactory } from '@storefront/events';
import { TRANSACTION_DEFAULTS } from '@storefront/prisma-tools';

type ServiceClient = WorkerDatabase & { $disconnect(): Promise<void> };

/** What the worker host needs of a service: how to open its Prisma client, and its worker factory. */
export interface WorkerService {
  name: string;
  /** The ops port (/health, /ready, /metrics) when this service runs alone: its subgraph's port + 100. */
  port: number;
  load(): Promise<{
    migrationsDir: string;
    createClient(adapter: SqlDriverAdapterFactory): ServiceClient;
    createWorkers: ServiceWorkersFactory<never>;
  }>;
}

/** A subgraph package's `./database` and `./workers` entry points, as the host uses them. */
type ServiceModules = [
  { MIGRATIONS_DIR: string; PrismaClient: new (options: { adapter: SqlDriverAdapterFactory; transactionOptions: typeof TRANSACTION_DEFAULTS }) => ServiceClient },
  { createWorkers: ServiceWorkersFactory<never> },
];

const subgraphPorts = new Map(listSubgraphs().map((subgraph) => [subgraph.name, subgraph.port]));

function service(name: string, modules: () => Promise<ServiceModules>): WorkerService {
  const port = subgraphPorts.get(name);
  if (port === undefined) throw new Error(`No subgraph named ${name}`);
  return {
    name,
    port: port + 100,
    async load() {
      const [{ MIGRATIONS_DIR, PrismaClient }, { createWorkers }] = await modules();
      return { migrationsDir: MIGRATIONS_DIR, createClient: (adapter) => new PrismaClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS }), createWorkers };
    },
  };
}

// Loaded on demand (literal specifiers, one pair per service): a worker process for orders never imports, or
// connects to, another service's database code.
export const WORKER_SERVICES: readonly WorkerService[] = [
  service('accounts', () => Promise.all([import('@storefront/accounts/database'), import('@storefront/accounts/workers')])),
  service('catalog', () => Promise.all([import('@storefront/catalog/database'), import('@storefront/catalog/workers')])),
  service('inventory', () => Promise.all([import('@storefront/inventory/database'), import('@storefront/inventory/workers')])),
  service('orders', () => Promise.all([import('@storefront/orders/database'), import('@storefront/orders/workers')])),
  service('payments', () => Promise.all([import('@storefront/payments/database'), import('@storefront/payments/workers')])),
  service('reviews', () => Promise.all([import('@storefront/reviews/database'), import('@storefront/reviews/workers')])),
  service('notifications', () => Promise.all([import('@storefront/notifications/database'), import('@storefront/notifications/workers')])),
];
