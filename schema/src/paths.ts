import path from 'node:path';
import { REPO_ROOT } from '@storefront/config';

/** The committed supergraph the router serves by default. */
export const SUPERGRAPH_PATH = path.join(REPO_ROOT, 'schema', 'supergraph.graphql');

/** The generated ownership map (which subgraph owns which type and field). */
export const OWNERSHIP_PATH = path.join(REPO_ROOT, 'schema', 'OWNERSHIP.md');
