import path from 'node:path';
import { subgraphProcessConfig, subgraphProcessEnv, type SubgraphHttpConfig } from './subgraph-host.ts';
import { envBoolean, loadConfig, REPO_ROOT } from '@storefront/config';
import { z } from 'zod';
import type { DatabaseTarget } from '@storefront/prisma-tools';

/** Everything a subgraph process reads from its environment. */
export interface SubgraphConfig {
  http: SubgraphHttpConfig;
  logLevel: string;
  logFormat: 'json' | 'pretty' | undefined;
  database: DatabaseTarget;
  databasePoolSize: number;
  /** Apply pending migrations at start-up; on by default only for the embedded database. */
  migrateOnStart: boolean;
  /** Host the subgraph's workers in this process (RUN_WORKERS; development on the embedded database). */
  runWorkers: boolean;
}

/**
 * Reads a subgraph's environment once: PORT, HOST, DATABASE_URL (Postgres) or DATA_DIR (embedded PGlite,
 * default .data/<name>), DATABASE_POOL_SIZE, MIGRATE_ON_START, LOG_LEVEL, LOG_FORMAT, MAX_BODY_BYTES,
 * ROUTER_IDENTITY_PUBLIC_KEY (the router's Ed25519 public key, PEM or JWK; required in production).
 */
export function loadSubgraphConfig(name: string, defaultPort: number, env: NodeJS.ProcessEnv = process.env): SubgraphConfig {
  const schema = z.object({
    ...subgraphProcessEnv(defaultPort),
    DATABASE_URL: z
      .url({ protocol: /^postgres(ql)?$/, error: 'DATABASE_URL must be a postgres:// URL' })
      .optional(),
    DATA_DIR: z.string().min(1).default(path.join(REPO_ROOT, '.data', name)),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
    MIGRATE_ON_START: envBoolean(!env.DATABASE_URL).optional(),
    RUN_WORKERS: envBoolean(false),
  });
  const parsed = loadConfig(name, schema, env);
  return {
    ...subgraphProcessConfig(name, parsed),
    database: parsed.DATABASE_URL ? { kind: 'postgres', url: parsed.DATABASE_URL } : { kind: 'pglite', dataDir: parsed.DATA_DIR },
    databasePoolSize: parsed.DATABASE_POOL_SIZE,
    migrateOnStart: parsed.MIGRATE_ON_START ?? !parsed.DATABASE_URL,
    runWorkers: parsed.RUN_WORKERS,
  };
}
