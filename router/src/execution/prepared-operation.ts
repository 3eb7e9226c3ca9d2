import type { DeferredNode, PlanNode, QueryPlan } from '@apollo/query-planner';
import {
  getNamedType,
  isCompositeType,
  Kind,
  parse,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { conditionVariablesOf, ShapeCompiler, type SelectionShape } from './response-shape.ts';

/*
 * An operation made ready to run many times: its query plan, and what shaping needs (field lists per type,
 * made on first use), kept together in the plan cache so neither is worked out again per request.
 */

const INTROSPECTION_FIELDS = new Set(['__schema', '__type']);

function hasDefer(node: PlanNode | undefined): boolean {
  if (!node) return false;
  switch (node.kind) {
    case 'Defer':
      return true;
    case 'Sequence':
    case 'Parallel':
      return node.nodes.some(hasDefer);
    case 'Flatten':
      return hasDefer(node.node);
    case 'Condition':
      return hasDefer(node.ifClause) || hasDefer(node.elseClause);
    case 'Fetch':
      return false;
  }
}

/** The root fields that graphql-js answers on the API schema (`__schema`, `__type`), as a document of their own. */
function introspectionDocument(operation: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): DocumentNode | undefined {
  const selections = operation.selectionSet.selections.filter((selection) => selection.kind === Kind.FIELD && INTROSPECTION_FIELDS.has(selection.name.value));
  if (selections.length === 0) return undefined;
  return {
    kind: Kind.DOCUMENT,
    definitions: [{ ...operation, selectionSet: { kind: Kind.SELECTION_SET, selections } }, ...fragments.values()],
  };
}

export class PreparedOperation {
  readonly hasDefer: boolean;
  readonly introspection: DocumentNode | undefined;
  private readonly conditionVariables: string[];
  private readonly shapes = new Map<string, SelectionShape>();
  private readonly deferredShapes = new Map<DeferredNode, SelectionShape | null>();

  constructor(
    readonly plan: QueryPlan,
    readonly operation: OperationDefinitionNode,
    readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly schema: GraphQLSchema,
    readonly rootType: GraphQLCompositeType,
    /** Internal response keys the plan uses → the client's (client-keys.ts). */
    readonly clientKeyOf: ReadonlyMap<string, string> = new Map(),
    /** Why the plan cannot be run (it sends entities to a subgraph that cannot resolve them), if so. */
    readonly unresolvable?: string,
    /** Plans of the other parts of an operation split for conflicting requirements (requirement-conflicts.ts). */
    readonly extraPlans: readonly QueryPlan[] = [],
  ) {
    this.hasDefer = plan.node?.kind !== 'Subscription' && hasDefer(plan.node);
    this.introspection = introspectionDocument(operation, fragments);
    this.conditionVariables = conditionVariablesOf([operation.selectionSet, ...[...fragments.values()].map((fragment) => fragment.selectionSet)]);
  }

  /**
   * The shape of the client's response under these variables: the whole operation, or with `excludeDeferred`
   * the initial part of an incremental response (deferred fragments left out).
   */
  shapeFor(variables: Readonly<Record<string, unknown>>, excludeDeferred: boolean): SelectionShape {
    let key = excludeDeferred ? 'i' : 'w';
    for (const name of this.conditionVariables) key += variables[name] === true ? '1' : variables[name] === false ? '0' : '-';
    let shape = this.shapes.get(key);
    if (!shape) {
      const chosen: Record<string, unknown> = {};
      for (const name of this.conditionVariables) chosen[name] = variables[name];
      shape = new ShapeCompiler(this.schema, this.fragments, chosen, excludeDeferred, this.clientKeyOf).shape(this.rootType, [this.operation.selectionSet]);
      this.shapes.set(key, shape);
    }
    return shape;
  }

  /** The shape of one deferred part, on the type its path leads to; null when the path cannot be followed. */
  deferredShape(node: DeferredNode, variables: Readonly<Record<string, unknown>>): SelectionShape | null {
    const known = this.deferredShapes.get(node);
    if (known !== undefined) return known;
    let shape: SelectionShape | null = null;
    const parentType = this.typeAt(node.queryPath);
    // A part with deferred parts of its own carries its selection on the nested Defer's primary.
    const subselection = node.subselection ?? (node.node?.kind === 'Defer' ? node.node.primary.subselection : undefined);
    if (parentType && subselection) {
      const selection = parse(subselection, { noLocation: true }).definitions[0];
      if (selection?.kind === Kind.OPERATION_DEFINITION) {
        const chosen: Record<string, unknown> = {};
        for (const name of this.conditionVariables) chosen[name] = variables[name];
        shape = new ShapeCompiler(this.schema, this.fragments, chosen, true, this.clientKeyOf).shape(parentType, [selection.selectionSet]);
      }
    }
    this.deferredShapes.set(node, shape);
    return shape;
  }

  /** The type at a deferred part's path (response keys and `... on T`), read off the client's operation. */
  private typeAt(queryPath: readonly string[]): GraphQLCompositeType | undefined {
    let type: GraphQLCompositeType = this.rootType;
    let selectionSets: SelectionSetNode[] = [this.operation.selectionSet];
    for (const element of queryPath) {
      if (element.startsWith('... on ')) {
        const named = this.schema.getType(element.slice('... on '.length));
        if (!named || !isCompositeType(named)) return undefined;
        type = named;
        continue;
      }
      const found = this.fieldByKey(selectionSets, element, type);
      if (!found) return undefined;
      const named = getNamedType(found.definitionType);
      if (!isCompositeType(named)) return undefined;
      type = named;
      selectionSets = found.nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
    }
    return type;
  }

  private fieldByKey(
    selectionSets: readonly SelectionSetNode[],
    key: string,
    type: GraphQLCompositeType,
  ): { nodes: FieldNode[]; definitionType: Parameters<typeof getNamedType>[0] } | undefined {
    const nodes: FieldNode[] = [];
    let definitionType: Parameters<typeof getNamedType>[0] | undefined;
    const visit = (selectionSet: SelectionSetNode, within: GraphQLCompositeType, seen: Set<string>) => {
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if ((selection.alias?.value ?? selection.name.value) !== key || !('getFields' in within)) continue;
          const definition = within.getFields()[selection.name.value];
          if (!definition) continue;
          nodes.push(selection);
          definitionType ??= definition.type;
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const condition = selection.typeCondition ? this.schema.getType(selection.typeCondition.name.value) : within;
          if (condition && isCompositeType(condition)) visit(selection.selectionSet, condition, seen);
        } else {
          const fragment = this.fragments.get(selection.name.value);
          if (!fragment || seen.has(fragment.name.value)) continue;
          const condition = this.schema.getType(fragment.typeCondition.name.value);
          if (condition && isCompositeType(condition)) visit(fragment.selectionSet, condition, new Set([...seen, fragment.name.value]));
        }
      }
    };
    for (const selectionSet of selectionSets) visit(selectionSet, type, new Set());
    return definitionType ? { nodes, definitionType } : undefined;
  }
}
