import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { listSubgraphs } from '@storefront/config';
import pg from 'pg';
import { pgliteMigrationFactory, postgresMigrationFactory, type MigrationAdapterFactory } from './migration-adapters.ts';
import { createMigration, deployMigrations, diffMigrationsToSchema, migrationStatus, MIGRATION_LOCK_CONTENT } from './migrations.ts';
import { createTestDatabase, type TestDatabase } from '@storefront/testing';

async function withPostgres<T>(work: (factory: MigrationAdapterFactory, database: TestDatabase) => Promise<T>): Promise<T> {
  const database = await createTestDatabase('migrations');
  const factory = postgresMigrationFactory(database.url);
  try {
    return await work(factory, database);
  } finally {
    await factory.close();
    await database.drop();
  }
}

async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'migrations-'));
  await writeFile(path.join(dir, 'migration_lock.toml'), MIGRATION_LOCK_CONTENT);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function addMigration(name: string, script: string): Promise<void> {
  await mkdir(path.join(dir, name));
  await writeFile(path.join(dir, name, 'migration.sql'), script);
}

describe.each(listSubgraphs().filter((subgraph) => subgraph.database).map((subgraph) => [subgraph.name, subgraph] as const))('%s', (_name, subgraph) => {
  it('has committed migrations that reproduce its schema.prisma exactly', async () => {
    const drift = await withPostgres((factory) =>
      diffMigrationsToSchema(factory, { schemaPath: subgraph.prismaSchemaPath, migrationsDir: subgraph.migrationsDir }),
    );
    expect(drift).toBe('');
  });
});

it('notices a schema.prisma change that no migration contains, and writes that migration', async () => {
  const schemaPath = path.join(dir, 'schema.prisma');
  await writeFile(schemaPath, 'datasource db {\n  provider = "postgresql"\n}\nmodel Thing {\n  id Int @id\n}\n');
  await withPostgres(async (factory, database) => {
    expect(await diffMigrationsToSchema(factory, { schemaPath, migrationsDir: dir })).toContain('CREATE TABLE "Thing"');
    const folder = await createMigration(factory, { schemaPath, migrationsDir: dir }, 'Add things!', new Date('2026-11-23T09:08:07Z'));
    expect(path.basename(folder!)).toBe('20261123090807_add_things');
    expect(await readFile(path.join(folder!, 'migration.sql'), 'utf8')).toContain('CREATE TABLE "Thing"');
    expect(await diffMigrationsToSchema(factory, { schemaPath, migrationsDir: dir })).toBe('');
    expect(await deployMigrations(factory, dir)).toEqual(['20261123090807_add_things']);
    expect(await deployMigrations(factory, dir)).toEqual([]);
    const [row] = await sql<{ checksum: string }>(database.url, 'SELECT checksum FROM _prisma_migrations');
    const { createHash } = await import('node:crypto');
    expect(row?.checksum).toBe(createHash('sha256').update(await readFile(path.join(folder!, 'migration.sql'))).digest('hex'));
  });
});

it('applies a script with dollar-quoted bodies and semicolons inside strings as written', async () => {
  await addMigration(
    '20260101000000_function',
    `CREATE TABLE t (v TEXT);
     CREATE FUNCTION shout(x TEXT) RETURNS TEXT AS $$ BEGIN RETURN upper(x) || ';'; END; $$ LANGUAGE plpgsql;
     INSERT INTO t VALUES (shout('a;b'));`,
  );
  await withPostgres(async (factory, database) => {
    await deployMigrations(factory, dir);
    expect(await sql(database.url, 'SELECT v FROM t')).toEqual([{ v: 'A;B;' }]);
  });
});

it('on Postgres, records a failing migration, leaves none of it applied, and blocks later deploys', async () => {
  await addMigration('20260101000000_ok', 'CREATE TABLE ok (id INT);');
  await addMigration('20260102000000_broken', 'CREATE TABLE half (id INT);\nSELECT * FROM does_not_exist;');
  await withPostgres(async (factory, database) => {
    await expect(deployMigrations(factory, dir)).rejects.toThrow(/does_not_exist/);
    const tables = await sql<{ tablename: string }>(database.url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
    expect(tables.map((t) => t.tablename)).toEqual(['_prisma_migrations', 'ok']);
    const status = await migrationStatus(factory, dir);
    expect(status.failedMigrationNames).toEqual(['20260102000000_broken']);
    await expect(deployMigrations(factory, dir)).rejects.toThrow(/failed migrations/i);
  });
});

it('on embedded PGlite, does not record a failing migration as applied', async () => {
  await addMigration('20260101000000_broken', 'SELECT * FROM does_not_exist;');
  const pglite = new PGlite();
  try {
    await expect(deployMigrations(pgliteMigrationFactory(pglite), dir)).rejects.toThrow(/does_not_exist/);
    const { rows } = await pglite.query<{ finished_at: Date | null }>('SELECT finished_at FROM _prisma_migrations');
    expect(rows).toEqual([{ finished_at: null }]);
  } finally {
    await pglite.close();
  }
});
