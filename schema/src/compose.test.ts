import { readFileSync } from 'node:fs';
import { compose, sourcesFromWorkspace } from './compose.ts';
import { ownershipMap } from './ownership.ts';
import { OWNERSHIP_PATH, SUPERGRAPH_PATH } from './paths.ts';

it('the committed supergraph and ownership map are what the subgraphs compose to today (run npm run compose)', () => {
  const result = compose(sourcesFromWorkspace());
  if (!result.ok) throw new Error(result.errors.join('\n'));
  expect(readFileSync(SUPERGRAPH_PATH, 'utf8')).toBe(result.supergraphSdl);
  expect(readFileSync(OWNERSHIP_PATH, 'utf8')).toBe(ownershipMap(result.supergraphSdl));
});

it('the ownership map names the owner of each field and the federation directives that move data', () => {
  const sdl = (name: string, body: string) =>
    `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@external", "@requires", "@override"]) ${body}`;
  const result = compose([
    { name: 'a', url: 'http://a/graphql', sdl: sdl('a', 'type Query { things: [Thing] } type Thing @key(fields: "id") { id: ID! weight: Int! old: Int! }') },
    {
      name: 'b',
      url: 'http://b/graphql',
      sdl: sdl('b', 'type Thing @key(fields: "id") { id: ID! weight: Int! @external cost: Int! @requires(fields: "weight") old: Int! @override(from: "a") }'),
    },
  ]);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  const map = ownershipMap(result.supergraphSdl);
  expect(map).toContain('| `Thing` (type) | a: `id`<br>b: `id` |');
  expect(map).toContain('| `things` | a |  |');
  expect(map).toContain('| `cost` | b | b @requires(weight) |');
  expect(map).toContain('| `old` | b | b @override(from: a) |');
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
