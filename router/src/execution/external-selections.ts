import type { FetchNode, PlanNode, QueryPlan, QueryPlanSelectionNode } from '@apollo/query-planner';
import {
  Kind,
  OperationTypeNode,
  parse,
  print,
  visit,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldNode,
  type SelectionNode,
  type SelectionSetNode,
  type TypeNode,
} from 'graphql';

/*
 * Apollo's planner can ask a subgraph for a field it only declares `@external`. It happens when a `@requires`
 * needs a field that itself `@requires` something (titles' `greeting` requires names' `fullName`, which
 * requires titles' `title`): the planner puts `fullName` into names' fetch, and with it `title`, as if names
 * could resolve it. names answers null for a field it does not own, and the chain breaks.
 *
 * This pass finds such fetches in a plan and repairs them: the external field, and every field of that
 * selection that requires it, leave the fetch; right after it, the external fields are fetched from a subgraph
 * that owns them, and the fields that required them from their own subgraph with those requirements as
 * representations. What ran after the fetch still runs after the repaired steps. A fetch that cannot be
 * repaired safely (arguments with variables, no usable key, an abstract parent) is left as the planner made it.
 */

interface JoinField {
  graph: string;
  external: boolean;
  requires?: string;
  provides?: string;
  /** Overridden away, or only under a progressive-override label: not a plain owner. */
  conditional: boolean;
}

interface FieldFacts {
  namedType: string;
  listDepth: number;
  joins: JoinField[];
}

interface TypeFacts {
  isObject: boolean;
  /** Graph enum value → its keys, with whether each is resolvable. */
  keys: Map<string, Array<{ fields: string; resolvable: boolean }>>;
  fields: Map<string, FieldFacts>;
}

export interface SubgraphFields {
  readonly rootTypes: { query: string; mutation: string };
  /** The planner's service name of a `join__Graph` value, and back. */
  readonly serviceOf: Map<string, string>;
  readonly graphOf: Map<string, string>;
  readonly types: Map<string, TypeFacts>;
}

function argument(directive: ConstDirectiveNode, name: string): string | boolean | undefined {
  const value = directive.arguments?.find((candidate) => candidate.name.value === name)?.value;
  if (value?.kind === Kind.STRING || value?.kind === Kind.ENUM) return value.value;
  if (value?.kind === Kind.BOOLEAN) return value.value;
  return undefined;
}

function unwrap(type: TypeNode): { name: string; listDepth: number } {
  let listDepth = 0;
  let current = type;
  while (current.kind !== Kind.NAMED_TYPE) {
    if (current.kind === Kind.LIST_TYPE) listDepth += 1;
    current = current.type;
  }
  return { name: current.name.value, listDepth };
}

export function subgraphFieldsOf(coreSupergraphSdl: string): SubgraphFields {
  const serviceOf = new Map<string, string>();
  const graphOf = new Map<string, string>();
  const types = new Map<string, TypeFacts>();
  const rootTypes = { query: 'Query', mutation: 'Mutation' };
  const typeDefinition = (isObject: boolean) => (node: {
    name: { value: string };
    directives?: readonly ConstDirectiveNode[];
    fields?: ReadonlyArray<{ name: { value: string }; type: TypeNode; directives?: readonly ConstDirectiveNode[] }>;
  }) => {
    const keys = new Map<string, Array<{ fields: string; resolvable: boolean }>>();
    for (const directive of node.directives ?? []) {
      if (directive.name.value !== 'join__type') continue;
      const graph = argument(directive, 'graph');
      if (typeof graph !== 'string') continue;
      const list = keys.get(graph) ?? [];
      const key = argument(directive, 'key');
      if (typeof key === 'string') list.push({ fields: key, resolvable: argument(directive, 'resolvable') !== false });
      keys.set(graph, list);
    }
    const fields = new Map<string, FieldFacts>();
    for (const field of node.fields ?? []) {
      const { name, listDepth } = unwrap(field.type);
      const joins: JoinField[] = [];
      for (const directive of field.directives ?? []) {
        if (directive.name.value !== 'join__field') continue;
        const graph = argument(directive, 'graph');
        if (typeof graph !== 'string') continue;
        const requires = argument(directive, 'requires');
        const provides = argument(directive, 'provides');
        joins.push({
          graph,
          external: argument(directive, 'external') === true,
          ...(typeof requires === 'string' ? { requires } : {}),
          ...(typeof provides === 'string' ? { provides } : {}),
          conditional: argument(directive, 'usedOverridden') === true || argument(directive, 'overrideLabel') !== undefined,
        });
      }
      fields.set(field.name.value, { namedType: name, listDepth, joins });
    }
    types.set(node.name.value, { isObject, keys, fields });
  };
  visit(parse(coreSupergraphSdl, { noLocation: true }), {
    EnumValueDefinition(value) {
      const directive = value.directives?.find((candidate) => candidate.name.value === 'join__graph');
      const name = directive && argument(directive, 'name');
      if (typeof name !== 'string') return;
      serviceOf.set(value.name.value, name);
      graphOf.set(name, value.name.value);
    },
    SchemaDefinition(schema) {
      for (const operation of schema.operationTypes) {
        if (operation.operation === OperationTypeNode.QUERY) rootTypes.query = operation.type.name.value;
        if (operation.operation === OperationTypeNode.MUTATION) rootTypes.mutation = operation.type.name.value;
      }
    },
    ObjectTypeDefinition: typeDefinition(true),
    InterfaceTypeDefinition: typeDefinition(false),
  });
  return { rootTypes, serviceOf, graphOf, types };
}

// ---------------------------------------------------------------------------------------------------------------
// What a subgraph owns

function topLevelFields(selection: string): FieldNode[] {
  const document = parse(`{ ${selection} }`, { noLocation: true });
  const operation = document.definitions[0];
  return operation?.kind === Kind.OPERATION_DEFINITION ? operation.selectionSet.selections.filter((node): node is FieldNode => node.kind === Kind.FIELD) : [];
}

class Ownership {
  constructor(private readonly facts: SubgraphFields) {}

  private join(graph: string, type: string, field: string): JoinField | undefined {
    return this.facts.types.get(type)?.fields.get(field)?.joins.find((join) => join.graph === graph);
  }

  private keyFieldNames(graph: string, type: string): Set<string> {
    const names = new Set<string>();
    for (const key of this.facts.types.get(type)?.keys.get(graph) ?? []) for (const field of topLevelFields(key.fields)) names.add(field.name.value);
    return names;
  }

  /** `@external` in that subgraph and not one of its key fields (fed 1 marks extended types' keys external). */
  isExternal(graph: string, type: string, field: string): boolean {
    return this.join(graph, type, field)?.external === true && !this.keyFieldNames(graph, type).has(field);
  }

  isLocal(graph: string, type: string, field: string): boolean {
    const facts = this.facts.types.get(type);
    const joins = facts?.fields.get(field)?.joins;
    if (!facts || !joins) return false;
    if (joins.length === 0) return facts.keys.has(graph);
    const join = joins.find((candidate) => candidate.graph === graph);
    return join !== undefined && !join.external && !join.conditional;
  }

  requires(graph: string, type: string, field: string): string | undefined {
    return this.join(graph, type, field)?.requires;
  }

  provides(graph: string, type: string, field: string): string | undefined {
    return this.join(graph, type, field)?.provides;
  }

  /** Subgraphs other than `except` that resolve the field themselves, with no requirement of their own. */
  owners(type: string, field: string, except: string): string[] {
    const facts = this.facts.types.get(type);
    if (!facts) return [];
    return [...facts.keys.keys()].filter((graph) => graph !== except && this.isLocal(graph, type, field) && !this.requires(graph, type, field));
  }

  /** A resolvable key of `type` in `graph` whose fields `source` resolves itself (so its fetch can select them). */
  keyFor(graph: string, type: string, source: string): FieldNode[] | undefined {
    for (const key of this.facts.types.get(type)?.keys.get(graph) ?? []) {
      if (!key.resolvable) continue;
      const fields = topLevelFields(key.fields);
      if (fields.every((field) => this.isLocal(source, type, field.name.value) || this.keyFieldNames(source, type).has(field.name.value))) return fields;
    }
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Finding a fetch that selects an external field

interface Violation {
  selectionSet: SelectionSetNode;
  parentType: string;
  /** Response path from the fetch's objects to the selection set, with `@` for lists. */
  path: string[];
  external: FieldNode[];
}

function findViolation(ownership: Ownership, graph: string, selectionSet: SelectionSetNode, parentType: string, path: string[], provided: boolean, facts: SubgraphFields): Violation | undefined {
  const external: FieldNode[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      const found = findViolation(ownership, graph, selection.selectionSet, selection.typeCondition?.name.value ?? parentType, path, provided, facts);
      if (found) return found;
      continue;
    }
    if (selection.kind !== Kind.FIELD || selection.name.value.startsWith('__')) continue;
    const field = facts.types.get(parentType)?.fields.get(selection.name.value);
    if (!field) continue;
    if (!provided && ownership.isExternal(graph, parentType, selection.name.value)) external.push(selection);
    if (!selection.selectionSet) continue;
    const childPath = [...path, selection.alias?.value ?? selection.name.value, ...Array<string>(field.listDepth).fill('@')];
    const childProvided = provided || ownership.provides(graph, parentType, selection.name.value) !== undefined;
    const found = findViolation(ownership, graph, selection.selectionSet, field.namedType, childPath, childProvided, facts);
    if (found) return found;
  }
  return external.length ? { selectionSet, parentType, path, external } : undefined;
}

function fetchRoot(document: DocumentNode, node: FetchNode, facts: SubgraphFields): { selectionSet: SelectionSetNode; parentType: string } | undefined {
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  if (operation?.kind !== Kind.OPERATION_DEFINITION) return undefined;
  if (!node.requires) {
    const root = operation.operation === OperationTypeNode.MUTATION ? facts.rootTypes.mutation : operation.operation === OperationTypeNode.QUERY ? facts.rootTypes.query : undefined;
    return root ? { selectionSet: operation.selectionSet, parentType: root } : undefined;
  }
  const entities = operation.selectionSet.selections.find((selection): selection is FieldNode => selection.kind === Kind.FIELD && selection.name.value === '_entities');
  // The entity fetch's own `... on T` fragments are where the entities' types begin.
  return entities?.selectionSet ? { selectionSet: entities.selectionSet, parentType: '_Entity' } : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Building the repair

function hasVariables(node: FieldNode): boolean {
  let found = false;
  visit(node, {
    Variable() {
      found = true;
    },
  });
  return found;
}

function planSelections(fields: readonly FieldNode[]): QueryPlanSelectionNode[] {
  return fields.map((field) => ({
    kind: 'Field',
    name: field.name.value,
    ...(field.selectionSet ? { selections: planSelections(field.selectionSet.selections.filter((node): node is FieldNode => node.kind === Kind.FIELD)) } : {}),
  }));
}

function entityFetch(serviceName: string, type: string, representation: FieldNode[], selections: readonly FieldNode[]): FetchNode {
  const byName = new Map<string, FieldNode>();
  for (const field of [{ kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } } as FieldNode, ...representation]) if (!byName.has(field.name.value)) byName.set(field.name.value, field);
  return {
    kind: 'Fetch',
    serviceName,
    requires: [{ kind: 'InlineFragment', typeCondition: type, selections: planSelections([...byName.values()]) }],
    variableUsages: [],
    operation: `query($representations:[_Any!]!){_entities(representations:$representations){...on ${type}{${selections.map((field) => print(field)).join(' ')}}}}`,
    operationName: undefined,
    operationKind: OperationTypeNode.QUERY,
  };
}

function flattened(path: string[], node: PlanNode): PlanNode {
  return path.length ? { kind: 'Flatten', path, node } : node;
}

function withSelections(document: DocumentNode, target: SelectionSetNode, selections: readonly SelectionNode[]): DocumentNode {
  return visit(document, {
    SelectionSet(node) {
      return node === target ? { ...node, selections } : undefined;
    },
  });
}

function responseKey(field: FieldNode): string {
  return field.alias?.value ?? field.name.value;
}

/**
 * The repair of one fetch, or undefined when it needs none or cannot be made safely. `facts` has the
 * supergraph's ownership; the result replaces the fetch where it stood (under the same Flatten, if any).
 */
function repairFetch(node: FetchNode, facts: SubgraphFields, ownership: Ownership, depth = 0): PlanNode | undefined {
  const graph = facts.graphOf.get(node.serviceName);
  if (!graph || depth > 8) return undefined;
  const document = parse(node.operation, { noLocation: true });
  const root = fetchRoot(document, node, facts);
  if (!root) return undefined;
  const violation = findViolation(ownership, graph, root.selectionSet, root.parentType, [], false, facts);
  if (!violation) return undefined;
  const type = violation.parentType;
  if (!facts.types.get(type)?.isObject) return undefined;

  // The external fields, and the fields of the same selection that need them (transitively), leave the fetch.
  const siblings = violation.selectionSet.selections.filter((selection): selection is FieldNode => selection.kind === Kind.FIELD);
  const removed = new Set(violation.external.map((field) => field.name.value));
  const dependents: FieldNode[] = [];
  for (let grew = true; grew; ) {
    grew = false;
    for (const field of siblings) {
      const requires = ownership.requires(graph, type, field.name.value);
      if (removed.has(field.name.value) || !requires) continue;
      if (topLevelFields(requires).some((required) => removed.has(required.name.value))) {
        removed.add(field.name.value);
        dependents.push(field);
        grew = true;
      }
    }
  }
  const leaving = siblings.filter((field) => removed.has(field.name.value));
  if (leaving.some(hasVariables)) return undefined;

  // What the dependents require that this subgraph does not own: fetched from an owner, by a key this fetch can select.
  const needed = new Map<string, FieldNode>();
  for (const field of violation.external) needed.set(field.name.value, field);
  for (const field of dependents) {
    for (const required of topLevelFields(ownership.requires(graph, type, field.name.value) ?? '')) {
      if (ownership.isExternal(graph, type, required.name.value) && !removed.has(required.name.value) && !needed.has(required.name.value)) needed.set(required.name.value, required);
    }
  }
  const byOwner = new Map<string, { key: FieldNode[]; fields: FieldNode[] }>();
  for (const field of needed.values()) {
    const owner = ownership.owners(type, field.name.value, graph).map((candidate) => ({ candidate, key: ownership.keyFor(candidate, type, graph) })).find((option) => option.key);
    if (!owner?.key) return undefined;
    const group = byOwner.get(owner.candidate) ?? { key: owner.key, fields: [] };
    group.fields.push(field);
    byOwner.set(owner.candidate, group);
  }
  const ownKey = dependents.length ? ownership.keyFor(graph, type, graph) : [];
  if (!ownKey) return undefined;

  // The fetch keeps everything else, plus `__typename` and the keys the following fetches send.
  const kept: SelectionNode[] = violation.selectionSet.selections.filter((selection) => selection.kind !== Kind.FIELD || !removed.has(selection.name.value));
  const present = new Set(kept.flatMap((selection) => (selection.kind === Kind.FIELD ? [responseKey(selection)] : [])));
  for (const field of [{ kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } } as FieldNode, ...ownKey, ...[...byOwner.values()].flatMap((group) => group.key)]) {
    if (present.has(field.name.value)) continue;
    present.add(field.name.value);
    kept.push(field);
  }
  const repaired: FetchNode = { ...node, operation: print(withSelections(document, violation.selectionSet, kept)), operationDocumentNode: undefined };
  const steps: PlanNode[] = [repairFetch(repaired, facts, ownership, depth + 1) ?? repaired];

  const fromOwners = [...byOwner].map(([owner, group]) => flattened(violation.path, entityFetch(facts.serviceOf.get(owner) ?? owner, type, group.key, group.fields)));
  if (fromOwners.length) steps.push(fromOwners.length === 1 ? (fromOwners[0] as PlanNode) : { kind: 'Parallel', nodes: fromOwners });

  // The dependents, in rounds: each round's requirements are there once the rounds before it have run.
  const available = new Set([...needed.keys()]);
  let pending = dependents;
  while (pending.length) {
    const ready = pending.filter((field) => topLevelFields(ownership.requires(graph, type, field.name.value) ?? '').every((required) => available.has(required.name.value) || !ownership.isExternal(graph, type, required.name.value)));
    if (!ready.length) return undefined;
    const representation = [...(ownKey ?? []), ...ready.flatMap((field) => topLevelFields(ownership.requires(graph, type, field.name.value) ?? ''))];
    steps.push(flattened(violation.path, entityFetch(node.serviceName, type, representation, ready)));
    for (const field of ready) available.add(field.name.value);
    pending = pending.filter((field) => !ready.includes(field));
  }
  return { kind: 'Sequence', nodes: steps };
}

function repairNode(node: PlanNode, facts: SubgraphFields, ownership: Ownership): PlanNode {
  switch (node.kind) {
    case 'Fetch':
      return repairFetch(node, facts, ownership) ?? node;
    case 'Sequence':
    case 'Parallel': {
      const nodes = node.nodes.map((child) => repairNode(child, facts, ownership));
      return nodes.every((child, index) => child === node.nodes[index]) ? node : { ...node, nodes };
    }
    case 'Flatten': {
      const inner = repairNode(node.node, facts, ownership);
      return inner === node.node ? node : { ...node, node: inner };
    }
    case 'Condition': {
      const ifClause = node.ifClause && repairNode(node.ifClause, facts, ownership);
      const elseClause = node.elseClause && repairNode(node.elseClause, facts, ownership);
      return ifClause === node.ifClause && elseClause === node.elseClause ? node : { ...node, ifClause, elseClause };
    }
    case 'Defer': {
      const primary = node.primary.node && repairNode(node.primary.node, facts, ownership);
      const deferred = node.deferred.map((part) => (part.node ? { ...part, node: repairNode(part.node, facts, ownership) } : part));
      const changed = primary !== node.primary.node || deferred.some((part, index) => part.node !== node.deferred[index]?.node);
      return changed ? { ...node, primary: { ...node.primary, node: primary }, deferred } : node;
    }
  }
}

/** The plan with every fetch of an `@external` field repaired; the same object when none needed it. */
export function repairExternalSelections(plan: QueryPlan, facts: SubgraphFields): QueryPlan {
  const node = plan.node;
  if (!node) return plan;
  const ownership = new Ownership(facts);
  if (node.kind === 'Subscription') {
    const rest = node.rest && repairNode(node.rest, facts, ownership);
    return rest === node.rest ? plan : { ...plan, node: { ...node, rest } };
  }
  const repaired = repairNode(node, facts, ownership);
  return repaired === node ? plan : { ...plan, node: repaired };
}
