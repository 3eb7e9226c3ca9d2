/*
 * What every process-level stack of the store does before it starts a process (the fault suite's and the
 * replicas test's): a database per subgraph on the stack's own Postgres, migrated and seeded; a router identity
 * key pair; the environment every process shares.
 */
import { generateKeyPairSync } from 'node:crypto';
import { listSubgraphs } from '@storefront/config';
import { ensureDatabaseExists, openDatabase, type SeedFunction } from '@storefront/prisma-tools';
import type { SeedPlan } from '@storefront/seed-world';

export interface SeedOptions {
  /** Seed attempts per database: a seed that timed out waiting for a connection on a loaded machine is run again. */
  attempts?: number;
  poolSize?: number;
}

/** Migrates and seeds one subgraph's database, as dev.ts does for a new one. */
async function prepareDatabase(url: string, migrationsDir: string, seedPath: string, plan: SeedPlan, options: SeedOptions): Promise<void> {
  await ensureDatabaseExists(url);
  const database = await openDatabase({ target: { kind: 'postgres', url }, migrationsDir, migrate: true, poolSize: options.poolSize ?? 2 });
  try {
    const { default: seed } = (await import(seedPath)) as { default: SeedFunction };
    for (let attempt = 1; ; attempt += 1) {
      try {
        await seed(database.adapter, plan, () => {});
        return;
      } catch (error) {
        if (attempt >= (options.attempts ?? 1)) throw error;
      }
    }
  } finally {
    await database.close();
  }
}

/** Every subgraph's database (storefront_<name>) on `postgresUrl`, migrated and seeded; returns their URLs by subgraph. */
export async function prepareStoreDatabases(postgresUrl: string, plan: SeedPlan, options: SeedOptions = {}): Promise<Record<string, string>> {
  const withDatabase = listSubgraphs().filter((pkg) => pkg.database);
  const databases: Record<string, string> = {};
  for (const pkg of withDatabase) {
    const url = new URL(postgresUrl);
    url.pathname = `/storefront_${pkg.name}`;
    databases[pkg.name] = url.toString();
  }
  // Two at a time: the WASM migration engine and the seeds are CPU-bound on a 2-core machine.
  const queue = [...withDatabase];
  await Promise.all(
    [0, 1].map(async () => {
      for (let pkg = queue.shift(); pkg; pkg = queue.shift()) await prepareDatabase(databases[pkg.name] ?? '', pkg.migrationsDir, pkg.seedPath, plan, options);
    }),
  );
  return databases;
}

/** A router identity key pair for one stack, as PEM: the router signs with the private key, subgraphs trust the public one. */
export function routerIdentityPems(): { publicKey: string; privateKey: string } {
  const keys = generateKeyPairSync('ed25519');
  return {
    publicKey: keys.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    privateKey: keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

/** The environment every process of a stack starts with. */
export function storeProcessEnv(redisUrl: string, queuePrefix: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    HOST: '127.0.0.1',
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: queuePrefix,
    // Telemetry stays off: no collector here.
    OTEL_SDK_DISABLED: 'true',
  };
}
