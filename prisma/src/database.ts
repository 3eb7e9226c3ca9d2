import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { pgliteMigrationFactory, postgresMigrationFactory } from './migration-adapters.ts';
import { deployMigrations } from './migrations.ts';
import { createPgPool, ensureDatabaseExists, QueryCounter, redactUrl } from './pg.ts';

/** Where one service keeps its data: a Postgres database, or an embedded PGlite folder for a laptop. */
export type DatabaseTarget = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string };

export interface OpenDatabaseOptions {
  target: DatabaseTarget;
  migrationsDir: string;
  /** Create the database if needed and apply pending migrations before use (dev, tests, embedded). */
  migrate: boolean;
  poolSize?: number;
}

/** A service's open database: the driver adapter its PrismaClient runs on, plus what operators need. */
export interface ServiceDatabase {
  readonly adapter: SqlDriverAdapterFactory;
  /** Every SQL statement this process sends to the database is counted here. */
  readonly queries: QueryCounter;
  readonly description: string;
  readonly appliedMigrations: string[];
  /**
   * Where this database's NOTIFYs can be heard (outbox relays wake on commits): Postgres on a connection of
   * the listener's own, to `url`; embedded PGlite through its own listen, being one session in this process.
   */
  readonly notifications: DatabaseNotifications;
  /** The connection pool's live counts, for metrics (Postgres only; embedded PGlite has no pool). */
  readonly pool?: { readonly totalCount: number; readonly idleCount: number; readonly waitingCount: number };
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type DatabaseNotifications =
  | { kind: 'postgres'; url: string }
  | { kind: 'embedded'; listen(channel: string, onNotify: () => void): Promise<() => Promise<void>> };

export function describeTarget(target: DatabaseTarget): string {
  return target.kind === 'postgres' ? redactUrl(target.url) : `embedded PGlite in ${target.dataDir}`;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<ServiceDatabase> {
  return options.target.kind === 'postgres'
    ? openPostgres(options.target.url, options)
    : openPglite(options.target.dataDir, options);
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<ServiceDatabase> {
  let appliedMigrations: string[] = [];
  if (options.migrate) {
    await ensureDatabaseExists(url);
    const factory = postgresMigrationFactory(url);
    try {
      appliedMigrations = await deployMigrations(factory, options.migrationsDir);
    } finally {
      await factory.close();
    }
  }
  const queries = new QueryCounter();
  const pool = createPgPool({ connectionString: url, max: options.poolSize ?? 10, counter: queries });
  return {
    adapter: new PrismaPg(pool),
    queries,
    pool,
    notifications: { kind: 'postgres', url },
    description: describeTarget(options.target),
    appliedMigrations,
    ping: async () => {
      await pool.query('SELECT 1');
    },
    close: () => pool.end(),
  };
}

async function openPglite(dataDir: string, options: OpenDatabaseOptions): Promise<ServiceDatabase> {
  await mkdir(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  const appliedMigrations = options.migrate
    ? await deployMigrations(pgliteMigrationFactory(pglite), options.migrationsDir)
    : [];
  const queries = new QueryCounter();
  const query = pglite.query.bind(pglite);
  pglite.query = ((...args: Parameters<typeof query>) => {
    queries.record();
    return query(...args);
  }) as typeof pglite.query;
  return {
    adapter: new PrismaPGlite(pglite),
    queries,
    notifications: {
      kind: 'embedded',
      async listen(channel, onNotify) {
        const unlisten = await pglite.listen(channel, () => onNotify());
        return async () => {
          await unlisten();
        };
      },
    },
    description: describeTarget(options.target),
    appliedMigrations,
    ping: async () => {
      await pglite.query('SELECT 1');
    },
    close: () => pglite.close(),
  };
}
