/*
 * npm run compose            writes schema/supergraph.graphql from every subgraph's src/schema.graphql
 * npm run compose -- --check fails when the committed supergraph differs from a fresh composition
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { compose, sourcesFromWorkspace } from './compose.ts';
import { SUPERGRAPH_PATH } from './paths.ts';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false }, out: { type: 'string' } } });
const sources = sourcesFromWorkspace();
const result = compose(sources);
if (!result.ok) {
  process.stderr.write(`Composition failed (${result.errors.length} error(s)):\n${result.errors.map((e) => `  - ${e}`).join('\n')}\n`);
  process.exit(1);
}
const target = values.out ?? SUPERGRAPH_PATH;
if (values.check) {
  const committed = readFileSync(target, 'utf8');
  if (committed !== result.supergraphSdl) {
    process.stderr.write(`${target} is stale: run npm run compose and commit the result.\n`);
    process.exit(1);
  }
  console.log(`${target} is up to date (${sources.map((s) => s.name).join(', ')})`);
} else {
  writeFileSync(target, result.supergraphSdl);
  console.log(`Composed ${sources.length} subgraphs (${sources.map((s) => s.name).join(', ')}) into ${target}`);
}
