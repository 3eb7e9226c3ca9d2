import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file so tools work from any working directory. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where one subgraph's files live. Adding a folder under subgraphs/ with these files adds a subgraph. */
export interface SubgraphPackage {
  name: string;
  /** Default port in local development (package.json "subgraph.port"). */
  port: number;
  dir: string;
  sdlPath: string;
  prismaSchemaPath: string;
  migrationsDir: string;
  seedPath: string;
  /**
   * Whether the subgraph has a database of its own (package.json "subgraph.database", default true). One
   * without (operations reads Redis) has no Prisma schema, migrations or seed: database tools skip it.
   */
  database: boolean;
  /** The package's name, which its entry points are imported by (`@storefront/orders/workers`). */
  packageName: string;
  /**
   * Whether the service runs workers (its package exports `./workers`: outbox relay, consumers, jobs). The worker
   * host, compose and Kubernetes run one worker process for each such service.
   */
  workers: boolean;
}

interface SubgraphManifest {
  name?: unknown;
  exports?: Record<string, unknown>;
  subgraph?: { name?: unknown; port?: unknown; database?: unknown };
}

export function subgraphPackage(dir: string): SubgraphPackage | undefined {
  const manifestPath = path.join(dir, 'package.json');
  if (!existsSync(manifestPath)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as SubgraphManifest;
  const { name, port } = manifest.subgraph ?? {};
  if (typeof name !== 'string' || typeof port !== 'number') return undefined;
  return {
    name,
    port,
    dir,
    sdlPath: path.join(dir, 'src', 'schema.graphql'),
    prismaSchemaPath: path.join(dir, 'prisma', 'schema.prisma'),
    migrationsDir: path.join(dir, 'prisma', 'migrations'),
    seedPath: path.join(dir, 'prisma', 'seed.ts'),
    database: manifest.subgraph?.database !== false,
    packageName: typeof manifest.name === 'string' ? manifest.name : `@storefront/${name}`,
    workers: manifest.exports?.['./workers'] !== undefined,
  };
}

/** Every subgraph in the repository, in a stable order. */
export function listSubgraphs(root = REPO_ROOT): SubgraphPackage[] {
  const base = path.join(root, 'subgraphs');
  return readdirSync(base, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => subgraphPackage(path.join(base, entry.name)))
    .filter((pkg): pkg is SubgraphPackage => pkg !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Environment variable names are derived from subgraph names: "catalog" → CATALOG_DATABASE_URL. */
export function envPrefix(subgraphName: string): string {
  return subgraphName.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}
