import { readFileSync } from 'node:fs';
import { InputErrorCode, SHARED_SDL, SHARED_TYPE_NAMES, withSharedTypes } from '@storefront/api-conventions';
import { listSubgraphs } from '@storefront/config';
import { Kind, parse, type EnumTypeDefinitionNode } from 'graphql';

/*
 * The value types every subgraph shares are written once (packages/api-conventions/src/shared-sdl.ts) and
 * appended to each subgraph's own SDL, for its server and for composition alike. A copy written again in a
 * subgraph's schema.graphql would make the SDL invalid (a type defined twice) or, once the shared one is
 * edited, drift that composition tolerates and clients see as a type changing with the subgraph that answered.
 */

const subgraphs = listSubgraphs().map((subgraph) => ({ subgraph, own: readFileSync(subgraph.sdlPath, 'utf8') }));

it.each(subgraphs.map(({ subgraph, own }) => [subgraph.name, own] as const))('%s does not define a shared value type itself', (_name, own) => {
  const defined = parse(own).definitions.flatMap((definition) => ('name' in definition && definition.name ? [definition.name.value] : []));
  expect(defined.filter((name) => (SHARED_TYPE_NAMES as readonly string[]).includes(name) || name === 'cacheControl')).toEqual([]);
});

it.each(subgraphs.map(({ subgraph, own }) => [subgraph.name, own] as const))('%s imports @shareable, which the shared value types use', (_name, own) => {
  expect(own).toMatch(/import: \[[^\]]*"@shareable"/);
  expect(() => parse(withSharedTypes(own))).not.toThrow();
});

it('InputErrorCode in the SDL is exactly the codes the shared input validation produces', () => {
  const definition = parse(SHARED_SDL).definitions.find(
    (node): node is EnumTypeDefinitionNode => node.kind === Kind.ENUM_TYPE_DEFINITION && node.name.value === 'InputErrorCode',
  );
  expect((definition?.values ?? []).map((value) => value.name.value).sort()).toEqual(Object.keys(InputErrorCode).sort());
});

it('the shared SDL defines exactly the names it declares', () => {
  const defined = parse(SHARED_SDL).definitions.flatMap((definition) => ('name' in definition && definition.name ? [definition.name.value] : []));
  expect(defined.sort()).toEqual([...SHARED_TYPE_NAMES, 'cacheControl'].sort());
});
