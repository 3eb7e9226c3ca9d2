/*
 * npm run compose            writes schema/supergraph.graphql from every subgraph's src/schema.graphql, and
 *                            schema/OWNERSHIP.md (which subgraph owns which type and field) from it
 * npm run compose -- --check fails when either committed file differs from a fresh composition
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { compose, sourcesFromWorkspace } from './compose.ts';
import { ownershipMap } from './ownership.ts';
import { OWNERSHIP_PATH, SUPERGRAPH_PATH } from './paths.ts';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false }, out: { type: 'string' } } });
const sources = sourcesFromWorkspace();
const result = compose(sources);
if (!result.ok) {
  process.stderr.write(`Composition failed (${result.errors.length} error(s)):\n${result.errors.map((e) => `  - ${e}`).join('\n')}\n`);
  process.exit(1);
}
const outputs: Array<[string, string]> = [
  [values.out ?? SUPERGRAPH_PATH, result.supergraphSdl],
  ...(values.out ? [] : [[OWNERSHIP_PATH, ownershipMap(result.supergraphSdl)] as [string, string]]),
];
const names = sources.map((s) => s.name).join(', ');
if (values.check) {
  const stale = outputs.filter(([file, content]) => {
    try {
      return readFileSync(file, 'utf8') !== content;
    } catch {
      return true;
    }
  });
  if (stale.length) {
    process.stderr.write(`${stale.map(([file]) => file).join(', ')} stale: run npm run compose and commit the result.\n`);
    process.exit(1);
  }
  console.log(`${outputs.map(([file]) => file).join(', ')} up to date (${names})`);
} else {
  for (const [file, content] of outputs) writeFileSync(file, content);
  console.log(`Composed ${sources.length} subgraphs (${names}) into ${outputs.map(([file]) => file).join(', ')}`);
}
