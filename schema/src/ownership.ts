import {
  Kind,
  parse,
  type ConstArgumentNode,
  type ConstDirectiveNode,
  type EnumTypeDefinitionNode,
  type FieldDefinitionNode,
  type InterfaceTypeDefinitionNode,
  type ObjectTypeDefinitionNode,
} from 'graphql';

/*
 * The ownership map: which subgraph owns which type and field, read from the composed supergraph's join__
 * directives so it can never drift from the schemas. `npm run compose` writes it to schema/OWNERSHIP.md.
 */

type TypeNode = ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode;

const argument = (directive: ConstDirectiveNode, name: string): ConstArgumentNode['value'] | undefined =>
  directive.arguments?.find((arg) => arg.name.value === name)?.value;
const stringArgument = (directive: ConstDirectiveNode, name: string): string | undefined => {
  const value = argument(directive, name);
  return value?.kind === Kind.STRING ? value.value : undefined;
};
const booleanArgument = (directive: ConstDirectiveNode, name: string): boolean => {
  const value = argument(directive, name);
  return value?.kind === Kind.BOOLEAN && value.value;
};
const graphArgument = (directive: ConstDirectiveNode, graphs: Map<string, string>): string => {
  const value = argument(directive, 'graph');
  return value?.kind === Kind.ENUM ? (graphs.get(value.value) ?? value.value) : '?';
};
const directivesNamed = (node: { directives?: readonly ConstDirectiveNode[] }, name: string) =>
  (node.directives ?? []).filter((d) => d.name.value === name);

function fieldNotes(field: FieldDefinitionNode, graphs: Map<string, string>): string[] {
  const notes: string[] = [];
  for (const join of directivesNamed(field, 'join__field')) {
    const graph = graphArgument(join, graphs);
    const requires = stringArgument(join, 'requires');
    const provides = stringArgument(join, 'provides');
    const override = stringArgument(join, 'override');
    const label = stringArgument(join, 'overrideLabel');
    if (requires) notes.push(`${graph} @requires(${requires})`);
    if (provides) notes.push(`${graph} @provides(${provides})`);
    if (override) notes.push(`${graph} @override(from: ${override}${label ? `, label: ${label}` : ''})`);
    if (booleanArgument(join, 'external')) notes.push(`${graph} @external`);
  }
  if (directivesNamed(field, 'inaccessible').length) notes.push('@inaccessible');
  for (const tag of directivesNamed(field, 'tag')) notes.push(`@tag(${stringArgument(tag, 'name')})`);
  return notes;
}

/** Subgraphs that resolve a field: those with a non-external join__field, or every subgraph of the type. */
function fieldOwners(field: FieldDefinitionNode, typeGraphs: string[], graphs: Map<string, string>): string[] {
  const joins = directivesNamed(field, 'join__field');
  if (joins.length === 0) return typeGraphs;
  const owners = joins.filter((join) => !booleanArgument(join, 'external') && argument(join, 'graph')).map((join) => graphArgument(join, graphs));
  return [...new Set(owners)];
}

export function ownershipMap(supergraphSdl: string): string {
  const document = parse(supergraphSdl);
  const graphs = new Map<string, string>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === 'join__Graph') {
      for (const value of (definition as EnumTypeDefinitionNode).values ?? []) {
        const join = directivesNamed(value, 'join__graph')[0];
        graphs.set(value.name.value, (join && stringArgument(join, 'name')) ?? value.name.value.toLowerCase());
      }
    }
  }
  const types = document.definitions.filter(
    (d): d is TypeNode =>
      (d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.INTERFACE_TYPE_DEFINITION) && !/^(join|link)__/.test(d.name.value),
  );

  // Fields an @interfaceObject adds to an interface show up on its implementations without a graph.
  const interfaceFieldOwners = new Map<string, string[]>();
  for (const type of types) {
    if (type.kind !== Kind.INTERFACE_TYPE_DEFINITION) continue;
    const typeGraphs = [...new Set(directivesNamed(type, 'join__type').map((join) => graphArgument(join, graphs)))];
    for (const field of type.fields ?? []) interfaceFieldOwners.set(`${type.name.value}.${field.name.value}`, fieldOwners(field, typeGraphs, graphs));
  }
  const ownersOf = (type: TypeNode, field: FieldDefinitionNode, typeGraphs: string[]): string => {
    const owners = fieldOwners(field, typeGraphs, graphs);
    if (owners.length) return owners.join(', ');
    const viaInterface = (type.interfaces ?? [])
      .map((i) => ({ name: i.name.value, owners: interfaceFieldOwners.get(`${i.name.value}.${field.name.value}`) ?? [] }))
      .filter((i) => i.owners.length);
    return viaInterface.map((i) => `${i.owners.join(', ')} (through \`${i.name}\` @interfaceObject)`).join('; ');
  };

  const entities: string[] = [];
  const shared: string[] = [];
  const local = new Map<string, string[]>();
  const details: string[] = [];
  for (const type of types) {
    const joins = directivesNamed(type, 'join__type');
    const typeGraphs = [...new Set(joins.map((join) => graphArgument(join, graphs)))];
    const keys = joins
      .filter((join) => stringArgument(join, 'key'))
      .map((join) => {
        const flags = [booleanArgument(join, 'isInterfaceObject') && '@interfaceObject', argument(join, 'resolvable')?.kind === Kind.BOOLEAN && !booleanArgument(join, 'resolvable') && 'reference only']
          .filter(Boolean)
          .join(', ');
        return `${graphArgument(join, graphs)}: \`${stringArgument(join, 'key')}\`${flags ? ` (${flags})` : ''}`;
      });
    const kind = type.kind === Kind.INTERFACE_TYPE_DEFINITION ? 'interface' : 'type';
    if (keys.length) entities.push(`| \`${type.name.value}\` (${kind}) | ${keys.join('<br>')} |`);
    const isRoot = type.name.value === 'Query' || type.name.value === 'Mutation';
    if (!keys.length && !isRoot) {
      if (typeGraphs.length > 1) shared.push(`| \`${type.name.value}\` | ${typeGraphs.join(', ')} |`);
      else local.set(typeGraphs[0] ?? '?', [...(local.get(typeGraphs[0] ?? '?') ?? []), type.name.value]);
      continue;
    }
    details.push(`\n### ${type.name.value}\n\n| Field | Resolved by | Notes |\n| --- | --- | --- |`);
    for (const field of type.fields ?? []) {
      details.push(`| \`${field.name.value}\` | ${ownersOf(type, field, typeGraphs)} | ${fieldNotes(field, graphs).join('; ')} |`);
    }
  }

  return [
    '# Ownership map',
    '',
    '<!-- Generated by `npm run compose` from schema/supergraph.graphql. Do not edit by hand. -->',
    '',
    'Which subgraph owns which type and field of the supergraph. Every subgraph owns its own database; a field',
    'listed under a subgraph is answered from that subgraph\'s data only.',
    '',
    '## Entities and their keys',
    '',
    '| Entity | Keys, by subgraph |',
    '| --- | --- |',
    ...entities,
    '',
    '## Shared value types (@shareable, resolved by whichever subgraph returns them)',
    '',
    '| Type | Subgraphs |',
    '| --- | --- |',
    ...shared,
    '',
    '## Types only one subgraph knows',
    '',
    '| Subgraph | Types |',
    '| --- | --- |',
    ...[...local].sort(([a], [b]) => a.localeCompare(b)).map(([graph, names]) => `| ${graph} | ${names.sort().map((n) => `\`${n}\``).join(', ')} |`),
    '',
    '## Fields of root types and entities',
    ...details,
    '',
  ].join('\n');
}
