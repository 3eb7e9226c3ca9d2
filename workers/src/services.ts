import { type SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { listSubgraphs } from '@storefront/config';
import { type WorkerDatabase, type ServiceWorkersFactory } from '@storefront/events';
import { TRANSACTION_DEFAULTS } from '@storefront/subgraph-runtime';

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

/**
 * Every service whose package exports `./workers`, in the registry's order (packages/config/src/workspace.ts: the
 * subgraphs' package.json blocks). Loaded on demand: a worker process for orders never imports, or connects to,
 * another service's database code.
 */
export const WORKER_SERVICES: readonly WorkerService[] = listSubgraphs()
  .filter((subgraph) => subgraph.workers)
  .map((subgraph) =>
    service(subgraph.name, () => Promise.all([import(`${subgraph.packageName}/database`), import(`${subgraph.packageName}/workers`)]) as Promise<ServiceModules>),
  );
