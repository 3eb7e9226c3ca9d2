import { readFileSync } from 'node:fs';
import { InputErrorCode } from '@storefront/api-conventions';
import { listSubgraphs } from '@storefront/config';
import { parse, print, visit, type DefinitionNode, type EnumTypeDefinitionNode } from 'graphql';

/*
 * The value types every subgraph declares for itself (a subgraph must define what it returns): the same
 * definitions everywhere, fields, arguments, directives and all, and InputErrorCode with exactly the codes the
 * shared validation (packages/common/src/input-errors.ts) can produce. Composition tolerates some drift (a
 * field one subgraph lacks, a nullability difference); clients would see it as a type that changes with the
 * subgraph that answered.
 */

const SHARED = ['DateTime', 'PageInfo', 'Money', 'InputError', 'InputErrorCode'];

/**
 * A definition as text, without descriptions (they document, and composition merges them) and @cacheControl
 * (a hint to the subgraph's own response cache, needed only where the subgraph computes cache hints).
 */
function comparable(definition: DefinitionNode): string {
  return print(
    visit(definition, {
      enter: (node) => ('description' in node && node.description ? { ...node, description: undefined } : undefined),
      Directive: (directive) => (directive.name.value === 'cacheControl' ? null : undefined),
    }),
  );
}

const definitions = listSubgraphs().map((subgraph) => {
  const document = parse(readFileSync(subgraph.sdlPath, 'utf8'));
  const byName = new Map<string, DefinitionNode>();
  for (const definition of document.definitions) {
    if ('name' in definition && definition.name) byName.set(definition.name.value, definition);
  }
  return { subgraph: subgraph.name, byName };
});

it.each(SHARED)('%s is defined the same way by every subgraph that defines it', (name) => {
  const texts = definitions.flatMap(({ subgraph, byName }) => {
    const definition = byName.get(name);
    return definition ? [{ subgraph, text: comparable(definition) }] : [];
  });
  expect(texts.length).toBeGreaterThan(1);
  const [first] = texts;
  for (const { subgraph, text } of texts) expect({ subgraph, text }).toEqual({ subgraph, text: first?.text });
});

it('InputErrorCode has exactly the codes the shared input validation produces', () => {
  for (const { subgraph, byName } of definitions) {
    const definition = byName.get('InputErrorCode') as EnumTypeDefinitionNode | undefined;
    if (!definition) continue;
    expect({ subgraph, codes: (definition.values ?? []).map((value) => value.name.value).sort() }).toEqual({ subgraph, codes: Object.keys(InputErrorCode).sort() });
  }
});
