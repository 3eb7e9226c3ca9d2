import pg from 'pg';
import { listSubgraphs, type SubgraphPackage } from '@storefront/config';
import { type SeedPlan } from '@storefront/seed-world';
import { ensureDatabaseExists, openDatabase, type SeedFunction } from '@storefront/prisma-tools';

/*
 * The bench's own databases, `storefront_bench_<subgraph>` on BENCH_POSTGRES_URL (else POSTGRES_URL, else the
 * local server), so dev data is never touched. Each is migrated, then seeded with the plan unless a marker
 * row says that very plan was seeded completely before (the full plan takes about a minute the first time).
 */

const MARKER_TABLE = 'bench_seeded_plan';

export function benchDatabaseUrl(postgresUrl: string, subgraph: string): string {
  const url = new URL(postgresUrl);
  url.pathname = `/storefront_bench_${subgraph}`;
  return url.toString();
}

async function seededPlan(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS ${MARKER_TABLE} (plan text NOT NULL)`);
    const { rows } = await client.query<{ plan: string }>(`SELECT plan FROM ${MARKER_TABLE} LIMIT 1`);
    return rows[0]?.plan;
  } finally {
    await client.end();
  }
}

async function markSeeded(url: string, plan: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DELETE FROM ${MARKER_TABLE}`);
    await client.query(`INSERT INTO ${MARKER_TABLE} (plan) VALUES ($1)`, [plan]);
  } finally {
    await client.end();
  }
}

async function prepare(subgraph: SubgraphPackage, url: string, plan: SeedPlan, reseed: boolean, say: (message: string) => void): Promise<void> {
  await ensureDatabaseExists(url);
  const database = await openDatabase({ target: { kind: 'postgres', url }, migrationsDir: subgraph.migrationsDir, migrate: true, poolSize: 4 });
  try {
    const wanted = JSON.stringify(plan);
    if (!reseed && (await seededPlan(url)) === wanted) return;
    const started = performance.now();
    const { default: seed } = (await import(subgraph.seedPath)) as { default: SeedFunction };
    await seed(database.adapter, plan, () => {});
    await markSeeded(url, wanted);
    say(`${subgraph.name}: seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await database.close();
  }
}

/** Migrates (and seeds where needed) every subgraph's bench database; answers their URLs by subgraph name. */
export async function prepareBenchDatabases(
  postgresUrl: string,
  plan: SeedPlan,
  options: { reseed: boolean; say: (message: string) => void },
): Promise<Record<string, string>> {
  const urls: Record<string, string> = {};
  const subgraphs = listSubgraphs().filter((subgraph) => subgraph.database);
  for (const subgraph of subgraphs) urls[subgraph.name] = benchDatabaseUrl(postgresUrl, subgraph.name);
  // Seeding mostly waits on Postgres: three databases at a time, as `npm run seed` does.
  const queue = [...subgraphs];
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await prepare(next, urls[next.name] ?? '', plan, options.reseed, options.say);
    }),
  );
  return urls;
}
