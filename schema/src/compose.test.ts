import { readFileSync } from 'node:fs';
import { compose, sourcesFromWorkspace } from './compose.ts';
import { SUPERGRAPH_PATH } from './paths.ts';

it('the committed supergraph is what the subgraphs compose to today (run npm run compose)', () => {
  const result = compose(sourcesFromWorkspace());
  if (!result.ok) throw new Error(result.errors.join('\n'));
  expect(readFileSync(SUPERGRAPH_PATH, 'utf8')).toBe(result.supergraphSdl);
});

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])';

it('reports composition errors with their codes instead of writing a supergraph', () => {
  const result = compose([
    { name: 'a', url: 'http://a/graphql', sdl: `${LINK} type Query { a: Money } type Money { amount: Int }` },
    { name: 'b', url: 'http://b/graphql', sdl: `${LINK} type Query { b: Money } type Money { amount: Int }` },
  ]);
  expect(result.ok).toBe(false);
  expect(!result.ok && result.errors.join('\n')).toMatch(/INVALID_FIELD_SHARING: .*Money\.amount/);
});

it('reports a subgraph whose SDL does not parse, by name', () => {
  const result = compose([{ name: 'broken', url: 'http://b/graphql', sdl: 'type Query {' }]);
  expect(result).toEqual({ ok: false, errors: [expect.stringMatching(/^\[broken\] Syntax Error/)] });
});
