import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { subgraphPackage } from '@storefront/config';
import { createInternalIdentitySigner, ROUTER_IDENTITY_ISSUER, viewerWithRoles, type Role, type TrustedSigner, type Viewer } from '@storefront/identity';
import { type SeedPlan } from '@storefront/seed-world';
import { createLogger, type Logger } from '@storefront/telemetry';
import { dropDatabase, ensureDatabaseExists, openDatabase, type SeedFunction } from '@storefront/prisma-tools';
import type { RunningSubgraph, SubgraphConfig } from '@storefront/subgraph-runtime';

/** The server tests create their databases on (CREATEDB needed); override with TEST_POSTGRES_URL. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new, empty database with a unique name, so parallel test runs never share data. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/sf_test_${label.replace(/[^a-z0-9_]/gi, '_')}_${randomUUID().slice(0, 8)}`;
  const connectionString = url.toString();
  await ensureDatabaseExists(connectionString);
  return { url: connectionString, drop: () => dropDatabase(connectionString) };
}

/** Quiet unless TEST_LOG_LEVEL asks for more (e.g. TEST_LOG_LEVEL=error to see what a masked error hid). */
export const silentLogger: Logger = createLogger({ service: 'test', level: process.env.TEST_LOG_LEVEL ?? 'silent', format: 'json' });

/**
 * The router identity key pair of this test process: subgraphs started by testSubgraphConfig trust its public
 * key, test routers sign with its private key, and `signTestIdentity` stands in for the router.
 */
export const TEST_ROUTER_IDENTITY_KEYS = generateKeyPairSync('ed25519');
export const TEST_TRUSTED_SIGNERS: readonly TrustedSigner[] = [{ issuer: ROUTER_IDENTITY_ISSUER, publicKey: TEST_ROUTER_IDENTITY_KEYS.publicKey }];
const testIdentitySigner = createInternalIdentitySigner({ privateKey: TEST_ROUTER_IDENTITY_KEYS.privateKey });

/** Who a test acts as: a Viewer, or just id and roles (scopes then follow the roles, as in a fresh access token). */
export type TestViewer = { userId: string; roles: readonly Role[]; scopes?: readonly string[] };

export function asViewer(viewer: TestViewer): Viewer {
  return viewer.scopes ? { ...viewer, scopes: viewer.scopes } : viewerWithRoles(viewer.userId, viewer.roles);
}

/** An internal identity token for `audience` (a subgraph's name), as the router would sign it. */
export function signTestIdentity(audience: string, viewer?: TestViewer | null, options: { requestId?: string; nowMs?: number } = {}): string {
  return testIdentitySigner.sign(audience, viewer ? asViewer(viewer) : null, options.requestId, options.nowMs);
}

/** A subgraph's configuration for tests: an ephemeral port and the given Postgres database, migrated at start. */
export function testSubgraphConfig(databaseUrl: string): SubgraphConfig {
  return {
    http: { nodeEnv: 'test', host: '127.0.0.1', port: 0, maxBodyBytes: 1_000_000, trustedSigners: TEST_TRUSTED_SIGNERS },
    logLevel: 'silent',
    logFormat: 'json',
    database: { kind: 'postgres', url: databaseUrl },
    databasePoolSize: 5,
    migrateOnStart: true,
    runWorkers: false,
  };
}

export interface GraphQLResponse<Data = Record<string, unknown>> {
  status: number;
  body: {
    data?: Data | null;
    errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }>;
  };
}

/** Sends one GraphQL request over HTTP, with `token` as `Authorization: Bearer` when given. */
export async function postGraphQL<Data = Record<string, unknown>>(
  url: string,
  body: unknown,
  options: { token?: string; headers?: Record<string, string> } = {},
): Promise<GraphQLResponse<Data>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponse<Data>['body'] };
}

export interface TestSubgraph {
  subgraph: RunningSubgraph;
  database: TestDatabase;
  /** A GraphQL request straight to this subgraph, signed as the router would sign it (anonymous without viewer). */
  query<Data = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, viewer?: TestViewer | null): Promise<GraphQLResponse<Data>>;
  /** SQL statements this subgraph sent while `work` ran. */
  countQueries(work: () => Promise<unknown>): Promise<number>;
  close(): Promise<void>;
}

type StartSubgraph = (config: SubgraphConfig, logger: Logger) => Promise<RunningSubgraph>;

/**
 * One subgraph on a fresh Postgres database, migrated and (with a plan) seeded by its own prisma/seed.ts.
 * `dir` is the subgraph's folder, e.g. `fileURLToPath(new URL('..', import.meta.url))`.
 */
export async function startTestSubgraph(dir: string, start: StartSubgraph, plan?: SeedPlan): Promise<TestSubgraph> {
  const pkg = subgraphPackage(dir);
  if (!pkg) throw new Error(`${dir} is not a subgraph package`);
  const database = await createTestDatabase(pkg.name);
  let subgraph: RunningSubgraph | undefined;
  try {
    subgraph = await start(testSubgraphConfig(database.url), silentLogger);
    if (plan) await seedTestDatabase(pkg.seedPath, pkg.migrationsDir, database.url, plan);
  } catch (error) {
    await subgraph?.close();
    await database.drop();
    throw error;
  }
  const running = subgraph;
  return {
    subgraph: running,
    database,
    query: (query, variables, viewer) => postGraphQL(running.url, { query, variables }, { token: signTestIdentity(pkg.name, viewer) }),
    async countQueries(work) {
      const before = running.queries.count;
      await work();
      return running.queries.count - before;
    },
    async close() {
      await running.close();
      await database.drop();
    },
  };
}

/** Runs a subgraph's seed against a test database. */
export async function seedTestDatabase(seedPath: string, migrationsDir: string, url: string, plan: SeedPlan): Promise<void> {
  const seeding = await openDatabase({ target: { kind: 'postgres', url }, migrationsDir, migrate: false, poolSize: 2 });
  try {
    const { default: seed } = (await import(seedPath)) as { default: SeedFunction };
    await seed(seeding.adapter, plan, () => {});
  } finally {
    await seeding.close();
  }
}
