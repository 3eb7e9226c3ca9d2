/*
 * Database commands for every subgraph's own database, without Prisma's native schema engine:
 *   generate [subgraph…]                 prisma generate (needs no engine)
 *   migrate-dev --name <name> [subgraph…] write a migration from schema.prisma changes, then apply it
 *   deploy [subgraph…]                   create the database if missing and apply pending migrations
 *   status [subgraph…]                   applied vs. committed migrations
 *   check [subgraph…]                    fail when migrations do not reproduce schema.prisma
 *   seed [--scale demo|full] [subgraph…] replace demo data
 * Which database each subgraph uses is described in targets.ts.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { listSubgraphs, REPO_ROOT, type SubgraphPackage } from '@storefront/config';
import { SEED_PLANS, type SeedScale } from '@storefront/seed-world';
import { describeTarget, openDatabase, type DatabaseTarget } from './database.ts';
import { pgliteMigrationFactory, postgresMigrationFactory, type MigrationAdapterFactory } from './migration-adapters.ts';
import { createMigration, deployMigrations, diffMigrationsToSchema, migrationStatus } from './migrations.ts';
import { ensureDatabaseExists } from './pg.ts';
import type { SeedFunction } from './seeding.ts';
import { databaseTargetFor } from './targets.ts';

export const ENGINE_STUB = path.join(REPO_ROOT, 'prisma', 'bin', 'schema-engine-unavailable');

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { name: { type: 'string' }, scale: { type: 'string', default: 'demo' } },
});
const [command, ...names] = positionals;

function selectedSubgraphs(): SubgraphPackage[] {
  // Subgraphs without a database of their own have nothing to generate, migrate or seed.
  const all = listSubgraphs().filter((subgraph) => subgraph.database);
  if (names.length === 0) return all;
  const unknown = names.filter((name) => !all.some((s) => s.name === name));
  if (unknown.length) fail(`Unknown subgraph(s): ${unknown.join(', ')}. Known: ${all.map((s) => s.name).join(', ')}`);
  return all.filter((s) => names.includes(s.name));
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function withMigrationFactory<T>(
  target: DatabaseTarget,
  work: (factory: MigrationAdapterFactory) => Promise<T>,
): Promise<T> {
  if (target.kind === 'postgres') {
    await ensureDatabaseExists(target.url);
    const factory = postgresMigrationFactory(target.url);
    try {
      return await work(factory);
    } finally {
      await factory.close();
    }
  }
  const { mkdir } = await import('node:fs/promises');
  await mkdir(target.dataDir, { recursive: true });
  const pglite = await PGlite.create(target.dataDir);
  try {
    return await work(pgliteMigrationFactory(pglite));
  } finally {
    await pglite.close();
  }
}

function generateClient(label: string, dir: string): void {
  const result = spawnSync('npx', ['--no-install', 'prisma', 'generate'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? ENGINE_STUB },
  });
  if (result.status !== 0) fail(`prisma generate failed for ${label}`);
  console.log(`${label}: Prisma client generated`);
}

/** @storefront/events keeps the event tables' models for its own tests (packages/events/prisma/schema.prisma). */
const EVENTS_PACKAGE_DIR = path.join(REPO_ROOT, 'packages', 'events');

const commands: Record<string, (subgraph: SubgraphPackage) => Promise<void>> = {
  async generate(subgraph) {
    generateClient(subgraph.name, subgraph.dir);
  },

  async 'migrate-dev'(subgraph) {
    const name = values.name ?? fail('migrate-dev needs --name <what_changed>');
    const target = databaseTargetFor(subgraph.name);
    await withMigrationFactory(target, async (factory) => {
      const folder = await createMigration(factory, { schemaPath: subgraph.prismaSchemaPath, migrationsDir: subgraph.migrationsDir }, name);
      console.log(folder ? `${subgraph.name}: created ${path.relative(REPO_ROOT, folder)} (review it: data loss is not checked)` : `${subgraph.name}: schema.prisma and migrations already agree`);
      const applied = await deployMigrations(factory, subgraph.migrationsDir);
      if (applied.length) console.log(`${subgraph.name}: applied ${applied.join(', ')} to ${describeTarget(target)}`);
    });
  },

  async deploy(subgraph) {
    const target = databaseTargetFor(subgraph.name);
    const applied = await withMigrationFactory(target, (factory) => deployMigrations(factory, subgraph.migrationsDir));
    console.log(`${subgraph.name}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'} (${describeTarget(target)})`);
  },

  async status(subgraph) {
    const target = databaseTargetFor(subgraph.name);
    const status = await withMigrationFactory(target, (factory) => migrationStatus(factory, subgraph.migrationsDir));
    const lines = [`${subgraph.name} (${describeTarget(target)}):`];
    if (!status.history) lines.push('  database schema is up to date');
    else if (status.history.diagnostic === 'databaseIsBehind') lines.push(`  not yet applied: ${status.history.unappliedMigrationNames.join(', ')}`);
    else lines.push(`  history differs: ${JSON.stringify(status.history)}`);
    if (status.failedMigrationNames.length) lines.push(`  FAILED: ${status.failedMigrationNames.join(', ')}`);
    if (status.editedMigrationNames.length) lines.push(`  edited after being applied: ${status.editedMigrationNames.join(', ')}`);
    console.log(lines.join('\n'));
    if (status.history || status.failedMigrationNames.length || status.editedMigrationNames.length) process.exitCode = 1;
  },

  async check(subgraph) {
    const pglite = new PGlite();
    try {
      const sql = await diffMigrationsToSchema(pgliteMigrationFactory(pglite), { schemaPath: subgraph.prismaSchemaPath, migrationsDir: subgraph.migrationsDir });
      if (sql) {
        console.log(`${subgraph.name}: schema.prisma has changes no migration contains; run npm run db:migrate -- --name <name> ${subgraph.name}\n${sql}`);
        process.exitCode = 1;
      } else console.log(`${subgraph.name}: migrations reproduce schema.prisma`);
    } finally {
      await pglite.close();
    }
  },

  async seed(subgraph) {
    const scale = values.scale as SeedScale;
    const plan = SEED_PLANS[scale] ?? fail(`--scale must be one of ${Object.keys(SEED_PLANS).join(', ')}`);
    const target = databaseTargetFor(subgraph.name);
    const db = await openDatabase({ target, migrationsDir: subgraph.migrationsDir, migrate: true, poolSize: 4 });
    try {
      const { default: seed } = (await import(subgraph.seedPath)) as { default: SeedFunction };
      const started = performance.now();
      await seed(db.adapter, plan, (message) => console.log(`${subgraph.name}: ${message}`));
      console.log(`${subgraph.name}: seeded (${scale}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      await db.close();
    }
  },
};

/** Runs `work` over `items`, at most `limit` at a time. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const lanes = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  });
  await Promise.all(lanes);
}

const run = command ? commands[command] : undefined;
if (!run) fail(`Usage: cli.ts <${Object.keys(commands).join('|')}> [subgraph…]`);
// Seeding is mostly waiting on Postgres, so several databases fill at once; the other commands stay sequential
// for readable output.
const started = performance.now();
await inParallel(selectedSubgraphs(), command === 'seed' ? 3 : 1, run);
if (command === 'generate' && names.length === 0) generateClient('events', EVENTS_PACKAGE_DIR);
if (command === 'seed') console.log(`seeded everything in ${((performance.now() - started) / 1000).toFixed(1)} s`);
