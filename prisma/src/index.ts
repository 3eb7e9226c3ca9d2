export { openDatabase, describeTarget } from './database.ts';
export type { DatabaseNotifications, DatabaseTarget, OpenDatabaseOptions, ServiceDatabase } from './database.ts';
export { createPgPool, dropDatabase, ensureDatabaseExists, QueryCounter, redactUrl } from './pg.ts';
export { pgliteMigrationFactory, postgresMigrationFactory } from './migration-adapters.ts';
export type { MigrationAdapterFactory } from './migration-adapters.ts';
export {
  createMigration,
  deployMigrations,
  diffMigrationsToSchema,
  migrationStatus,
  readMigrationList,
  MIGRATION_LOCK_CONTENT,
} from './migrations.ts';
export type { PrismaProject } from './migrations.ts';
export { databaseTargetFor, targetEnv } from './targets.ts';
export { bulkInsert, chunks } from './seeding.ts';
export type { BulkColumns, SeedFunction } from './seeding.ts';
