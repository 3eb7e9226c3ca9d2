import path from 'node:path';
import { envPrefix, REPO_ROOT } from '@storefront/config';
import type { DatabaseTarget } from './database.ts';

/**
 * Which database a subgraph uses, for tools that handle several subgraphs at once (dev runner, CLI):
 *   1. <NAME>_DATABASE_URL, e.g. CATALOG_DATABASE_URL=postgres://…/catalog
 *   2. POSTGRES_URL + a database per subgraph named storefront_<name>
 *   3. otherwise an embedded PGlite database under DATA_DIR (default .data/<name>)
 * A subgraph process itself reads only DATABASE_URL / DATA_DIR.
 */
export function databaseTargetFor(subgraph: string, env: NodeJS.ProcessEnv = process.env): DatabaseTarget {
  const explicit = env[`${envPrefix(subgraph)}_DATABASE_URL`];
  if (explicit) return { kind: 'postgres', url: explicit };
  if (env.POSTGRES_URL) {
    const url = new URL(env.POSTGRES_URL);
    url.pathname = `/storefront_${subgraph}`;
    return { kind: 'postgres', url: url.toString() };
  }
  return { kind: 'pglite', dataDir: path.join(env.DATA_DIR ?? path.join(REPO_ROOT, '.data'), subgraph) };
}

/** The variables a subgraph process needs to reach the target chosen above. */
export function targetEnv(target: DatabaseTarget): Record<string, string> {
  return target.kind === 'postgres' ? { DATABASE_URL: target.url } : { DATA_DIR: target.dataDir };
}
