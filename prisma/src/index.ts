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
export { loadSubgraphConfig } from './subgraph-config.ts';
export type { SubgraphConfig } from './subgraph-config.ts';
export { startPrismaSubgraph, TRANSACTION_DEFAULTS } from './subgraph-process.ts';
export type { PrismaSubgraph, RunningSubgraph } from './subgraph-process.ts';
export {
  asViewer,
  createTestDatabase,
  postGraphQL,
  seedTestDatabase,
  signTestIdentity,
  silentLogger,
  startTestSubgraph,
  TEST_POSTGRES_URL,
  TEST_ROUTER_IDENTITY_KEYS,
  TEST_TRUSTED_SIGNERS,
  testSubgraphConfig,
} from './testing.ts';
export type { GraphQLResponse, TestDatabase, TestSubgraph, TestViewer } from './testing.ts';
