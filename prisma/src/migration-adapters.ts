import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { randomUUID } from 'node:crypto';
import { createPgPool, dropDatabase, ensureDatabaseExists, withDatabase } from './pg.ts';

/*
 * Adapter factories for the WASM schema engine. Both published adapters run migration scripts wrongly
 * (adapter-pg splits on ';' across pooled connections; the PGlite adapter forgets to await), so a failed
 * migration could be half-applied or recorded as applied. We keep the adapters and replace executeScript only.
 */

type AdapterWithErrorMapping = SqlDriverAdapter & { onError(error: unknown): never };

function withScriptRunner(
  adapter: SqlDriverAdapter,
  run: (script: string) => Promise<unknown>,
  dispose?: () => Promise<void>,
): SqlDriverAdapter {
  const mapped = adapter as AdapterWithErrorMapping;
  mapped.executeScript = async (script: string) => {
    try {
      await run(script);
    } catch (error) {
      mapped.onError(error);
    }
  };
  if (dispose) {
    const original = adapter.dispose.bind(adapter);
    mapped.dispose = async () => {
      await original();
      await dispose();
    };
  }
  return mapped;
}

/**
 * Migrations against a real Postgres server. One connection (the engine's advisory lock and scripts must share a
 * session); one simple-protocol query per script, which Postgres runs as one implicit transaction.
 */
export interface MigrationAdapterFactory extends SqlMigrationAwareDriverAdapterFactory {
  /** Releases connections; the engine does not dispose adapters when it is freed. */
  close(): Promise<void>;
}

export function postgresMigrationFactory(connectionString: string): MigrationAdapterFactory {
  const open = async (url: string, dispose?: () => Promise<void>) => {
    const pool = createPgPool({ connectionString: url, max: 1, relabelCharColumns: true });
    const adapter = await new PrismaPg(pool).connect();
    return {
      pool,
      adapter: withScriptRunner(adapter, (script) => pool.query(script), dispose),
    };
  };
  const main = open(connectionString);
  const inner = new PrismaPg(connectionString);
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => (await main).adapter,
    /*
     * A temporary database on the same server, dropped afterwards. (adapter-pg's own version passes the
     * shadow's name beside a connectionString, which pg lets the connectionString override: the "shadow"
     * replay would then run in the real database.)
     */
    connectToShadowDb: async () => {
      const shadowUrl = withDatabase(connectionString, `prisma_migrate_shadow_db_${randomUUID()}`);
      await ensureDatabaseExists(shadowUrl);
      const shadow = await open(shadowUrl, async () => {
        await shadow.pool.end();
        await dropDatabase(shadowUrl);
      });
      return shadow.adapter;
    },
    close: async () => {
      await (await main).pool.end();
    },
  };
}

/** Migrations against an embedded PGlite database; the shadow database is an in-memory PGlite. */
export function pgliteMigrationFactory(pglite: PGlite): MigrationAdapterFactory {
  const inner = new PrismaPGlite(pglite);
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => withScriptRunner(await inner.connect(), (script) => pglite.exec(script)),
    connectToShadowDb: async () => {
      const shadow = new PGlite();
      const adapter = await new PrismaPGlite(shadow).connect();
      return withScriptRunner(adapter, (script) => shadow.exec(script), () => shadow.close());
    },
    // The caller owns the PGlite instance and closes it.
    close: async () => {},
  };
}
