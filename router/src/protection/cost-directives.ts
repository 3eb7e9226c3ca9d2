import { Kind, parse, type ConstDirectiveNode, type ConstValueNode, type DocumentNode } from 'graphql';

/**
 * The demand-control metadata of a supergraph: what `@cost` and `@listSize` (https://specs.apollo.dev/cost/v0.1,
 * imported by subgraphs from federation v2.9) say about its types, fields and arguments. The router reads it
 * from the supergraph SDL, because the API schema it executes against has every directive stripped.
 */
export interface CostMetadata {
  /** `@cost(weight:)` on object, interface, scalar and enum types, by type name. */
  typeWeights: ReadonlyMap<string, number>;
  /** `@cost(weight:)` on fields (`Type.field`) and input fields (`Input.field`). */
  fieldWeights: ReadonlyMap<string, number>;
  /** `@cost(weight:)` on arguments (`Type.field(argument)`). */
  argumentWeights: ReadonlyMap<string, number>;
  /** `@listSize` on fields (`Type.field`). */
  listSizes: ReadonlyMap<string, ListSize>;
}

export interface ListSize {
  assumedSize?: number;
  /** Arguments whose value is the number of items returned (`first`, `limit`). */
  slicingArguments: readonly string[];
  /** Child fields the size applies to instead of the field itself (a connection's `edges`). */
  sizedFields: readonly string[];
}

export const NO_COST_METADATA: CostMetadata = {
  typeWeights: new Map(),
  fieldWeights: new Map(),
  argumentWeights: new Map(),
  listSizes: new Map(),
};

/** Definitions `@cost` may sit on as a type: objects and interfaces (1 by default), scalars and enums (0). */
const TYPE_KINDS = new Set<Kind>([
  Kind.OBJECT_TYPE_DEFINITION,
  Kind.OBJECT_TYPE_EXTENSION,
  Kind.INTERFACE_TYPE_DEFINITION,
  Kind.INTERFACE_TYPE_EXTENSION,
  Kind.SCALAR_TYPE_DEFINITION,
  Kind.SCALAR_TYPE_EXTENSION,
  Kind.ENUM_TYPE_DEFINITION,
  Kind.ENUM_TYPE_EXTENSION,
]);

const COST_SPEC = /^https:\/\/specs\.apollo\.dev\/cost\/v\d+\.\d+$/;

/**
 * The names the supergraph gives the two directives. Per the link spec a feature's directive named like the
 * feature is `@<prefix>` and any other is `@<prefix>__<name>`, unless imported (possibly renamed).
 */
function costDirectiveNames(document: DocumentNode): { cost: string; listSize: string } | undefined {
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const directive of definition.directives ?? []) {
      if (directive.name.value !== 'link') continue;
      const url = argument(directive, 'url');
      if (url?.kind !== Kind.STRING || !COST_SPEC.test(url.value)) continue;
      const as = argument(directive, 'as');
      const prefix = as?.kind === Kind.STRING ? as.value : 'cost';
      const names = { cost: prefix, listSize: `${prefix}__listSize` };
      const imports = argument(directive, 'import');
      for (const item of imports?.kind === Kind.LIST ? imports.values : []) {
        const [name, alias] = importedName(item);
        if (name === '@cost') names.cost = alias.slice(1);
        if (name === '@listSize') names.listSize = alias.slice(1);
      }
      return names;
    }
  }
  return undefined;
}

function importedName(item: ConstValueNode): [string, string] {
  if (item.kind === Kind.STRING) return [item.value, item.value];
  if (item.kind === Kind.OBJECT) {
    const field = (name: string) => item.fields.find((f) => f.name.value === name)?.value;
    const name = field('name');
    const as = field('as');
    if (name?.kind === Kind.STRING) return [name.value, as?.kind === Kind.STRING ? as.value : name.value];
  }
  return ['', ''];
}

function argument(directive: ConstDirectiveNode, name: string): ConstValueNode | undefined {
  return directive.arguments?.find((arg) => arg.name.value === name)?.value;
}

function intArgument(directive: ConstDirectiveNode, name: string): number | undefined {
  const value = argument(directive, name);
  return value?.kind === Kind.INT ? Number(value.value) : undefined;
}

function stringListArgument(directive: ConstDirectiveNode, name: string): string[] {
  const value = argument(directive, name);
  if (value?.kind === Kind.STRING) return [value.value];
  return value?.kind === Kind.LIST ? value.values.flatMap((item) => (item.kind === Kind.STRING ? [item.value] : [])) : [];
}

/** Reads `@cost` / `@listSize` from a supergraph; a supergraph without the cost spec has no metadata. */
export function costMetadataOf(supergraph: string | DocumentNode): CostMetadata {
  const document = typeof supergraph === 'string' ? parse(supergraph) : supergraph;
  const names = costDirectiveNames(document);
  if (!names) return NO_COST_METADATA;
  const typeWeights = new Map<string, number>();
  const fieldWeights = new Map<string, number>();
  const argumentWeights = new Map<string, number>();
  const listSizes = new Map<string, ListSize>();
  const weightOf = (directives: readonly ConstDirectiveNode[] | undefined) => {
    const cost = directives?.find((d) => d.name.value === names.cost);
    return cost && intArgument(cost, 'weight');
  };

  for (const definition of document.definitions) {
    if (TYPE_KINDS.has(definition.kind) && 'name' in definition && definition.name && 'directives' in definition) {
      const weight = weightOf(definition.directives as readonly ConstDirectiveNode[] | undefined);
      if (weight !== undefined) typeWeights.set(definition.name.value, weight);
    }
    if (
      definition.kind === Kind.OBJECT_TYPE_DEFINITION ||
      definition.kind === Kind.OBJECT_TYPE_EXTENSION ||
      definition.kind === Kind.INTERFACE_TYPE_DEFINITION ||
      definition.kind === Kind.INTERFACE_TYPE_EXTENSION
    ) {
      for (const field of definition.fields ?? []) {
        const key = `${definition.name.value}.${field.name.value}`;
        const weight = weightOf(field.directives);
        if (weight !== undefined) fieldWeights.set(key, weight);
        for (const arg of field.arguments ?? []) {
          const argWeight = weightOf(arg.directives);
          if (argWeight !== undefined) argumentWeights.set(`${key}(${arg.name.value})`, argWeight);
        }
        const listSize = field.directives?.find((d) => d.name.value === names.listSize);
        if (listSize) {
          listSizes.set(key, {
            assumedSize: intArgument(listSize, 'assumedSize'),
            slicingArguments: stringListArgument(listSize, 'slicingArguments'),
            sizedFields: stringListArgument(listSize, 'sizedFields'),
          });
        }
      }
    } else if (definition.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION || definition.kind === Kind.INPUT_OBJECT_TYPE_EXTENSION) {
      for (const field of definition.fields ?? []) {
        const weight = weightOf(field.directives);
        if (weight !== undefined) fieldWeights.set(`${definition.name.value}.${field.name.value}`, weight);
      }
    }
  }
  return { typeWeights, fieldWeights, argumentWeights, listSizes };
}
