import { type Logger, type Registry } from '@storefront/telemetry';
import { type QueueConnection, type RunningServiceWorkers, startServiceWorkers } from '@storefront/events';
import { type DatabaseTarget, openDatabase } from '@storefront/prisma-tools';
import { type WorkerService } from './services.ts';

export interface RunningService {
  name: string;
  workers: RunningServiceWorkers;
  /** Database and Redis answer. */
  readiness(): Promise<Record<string, boolean>>;
  close(): Promise<void>;
}

export interface StartServiceOptions {
  target: DatabaseTarget;
  poolSize: number;
  queues: QueueConnection;
  logger: Logger;
  registry: Registry;
  env: NodeJS.ProcessEnv;
}

/**
 * One service's workers in this process, on its own database: the relay of its outbox, its consumers, its
 * heavy jobs, with their metrics. Opens nothing of any other service.
 */
export async function startService(service: WorkerService, options: StartServiceOptions): Promise<RunningService> {
  if (options.target.kind !== 'postgres') {
    throw new Error(
      `${service.name}: worker processes need Postgres (DATABASE_URL); the embedded database belongs to the subgraph process — run it with RUN_WORKERS=true instead`,
    );
  }
  const definition = await service.load();
  const database = await openDatabase({ target: options.target, migrationsDir: definition.migrationsDir, migrate: false, poolSize: options.poolSize });
  const prisma = definition.createClient(database.adapter);
  const logger = options.logger.child({ service: service.name });
  let workers: RunningServiceWorkers;
  try {
    workers = await startServiceWorkers(
      service.name,
      definition.createWorkers as Parameters<typeof startServiceWorkers<typeof prisma>>[1],
      { prisma, queues: options.queues, logger, env: options.env },
      // The relay LISTENs for commits on a connection of its own (DATABASE_URL must then reach Postgres directly).
      { metrics: options.registry, outboxListenUrl: options.target.url },
    );
  } catch (error) {
    await prisma.$disconnect();
    await database.close();
    throw error;
  }
  return {
    name: service.name,
    workers,
    async readiness() {
      const [db, redis] = await Promise.all([database.ping().then(() => true, () => false), workers.ready()]);
      return { [`${service.name}Database`]: db, redis };
    },
    async close() {
      await workers.close();
      await prisma.$disconnect();
      await database.close();
    },
  };
}
