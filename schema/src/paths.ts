import path from 'node:path';
import { REPO_ROOT } from '@storefront/common';

/** The committed supergraph the router serves by default. */
export const SUPERGRAPH_PATH = path.join(REPO_ROOT, 'schema', 'supergraph.graphql');
