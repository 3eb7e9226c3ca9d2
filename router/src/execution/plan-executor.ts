import type { DeferNode, DeferredNode, FetchNode, PlanNode } from '@apollo/query-planner';
import { parse, type GraphQLFormattedError, type GraphQLSchema, type OperationTypeNode } from 'graphql';
import { contextValuesFor, contextVariablesOf, groupAlias, groupedOperation, groupVariables } from './context-arguments.ts';
import { applyRewrites, isObject, mergeInto, RepresentationIndex, representationOf, type JsonObject } from './data.ts';
import { SubgraphCallError } from './errors.ts';

/*
 * Runs a query plan: each Fetch node calls its subgraph (with the representations of the entities it extends,
 * when it has `requires`), and merges the answer into one response tree in place; Sequence, Parallel,
 * Flatten and Condition decide what runs when and where; Defer runs its primary part now and each deferred
 * part as soon as what it depends on is there, on its own error list.
 */

export interface SubgraphFetchRequest {
  serviceName: string;
  query: string;
  operationName: string | undefined;
  operationKind: OperationTypeNode;
  variables: JsonObject;
}

export interface SubgraphFetchResult {
  data?: JsonObject | null;
  errors?: readonly GraphQLFormattedError[];
}

/** Calls one subgraph for the request being executed; throws SubgraphCallError when there is no answer. */
export type SubgraphFetch = (request: SubgraphFetchRequest) => Promise<SubgraphFetchResult>;

type ResponsePath = Array<string | number>;

/**
 * The objects a plan node applies to. Their paths in the client's response are put together only when an error
 * needs one, rather than as a path cell for every value a Flatten visits.
 */
interface Scope {
  readonly objects: readonly JsonObject[];
  /** The response path of `objects[index]`, a new array each time. */
  pathOf(index: number): ResponsePath;
}

/** A deferred part of the response, running; `done` settles with the part's own errors once it has merged. */
export interface RunningDeferred {
  node: DeferredNode;
  done: Promise<GraphQLFormattedError[]>;
}

/** The field a Flatten path element walks: newer planners may add type conditions (`field|[A,B]`). */
function fieldOf(element: string | number): string | number {
  return typeof element === 'string' ? (element.split('|', 1)[0] as string) : element;
}

/**
 * The objects a Flatten path leads to from a scope, found depth first: the order expanding the path level by
 * level gives, without a list of values per level. A path is the Flatten path with list indexes in place of
 * its `@`s, so each object keeps only those indexes (and the index of the scope object it was reached from);
 * objects in lists of lists at the path's end keep their extra indexes on the side.
 */
class FlattenedScope implements Scope {
  readonly objects: JsonObject[] = [];
  private readonly steps: ReadonlyArray<string | number>;
  /** Numbers kept per object: the parent scope's index, then one list index per `@`. */
  private readonly stride: number;
  /** `stride` numbers per object, in the order of `objects`. */
  private readonly trail: number[] = [];
  /** The trail of the value being walked to. */
  private readonly at: number[];
  /** List indexes inside lists of lists at the path's end, by object. */
  private nested: Map<number, number[]> | undefined;

  constructor(
    private readonly parent: Scope,
    path: ReadonlyArray<string | number>,
  ) {
    this.steps = path.map(fieldOf);
    this.stride = 1 + this.steps.filter((step) => step === '@').length;
    this.at = new Array<number>(this.stride).fill(0);
    for (let index = 0; index < parent.objects.length; index += 1) {
      this.at[0] = index;
      this.walk(parent.objects[index], 0, 1);
    }
  }

  private walk(value: unknown, depth: number, slot: number): void {
    if (depth === this.steps.length) {
      this.collect(value, undefined);
      return;
    }
    const step = this.steps[depth] as string | number;
    if (step === '@') {
      if (!Array.isArray(value)) return;
      for (let item = 0; item < value.length; item += 1) {
        const element: unknown = value[item];
        if (element === null || element === undefined) continue;
        this.at[slot] = item;
        this.walk(element, depth + 1, slot + 1);
      }
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const next = (value as JsonObject)[step];
    if (next !== null && next !== undefined) this.walk(next, depth + 1, slot);
  }

  private collect(value: unknown, nested: number[] | undefined): void {
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index += 1) this.collect(value[index], [...(nested ?? []), index]);
      return;
    }
    if (!isObject(value)) return;
    if (nested) (this.nested ??= new Map()).set(this.objects.length, nested);
    this.objects.push(value);
    for (let slot = 0; slot < this.stride; slot += 1) this.trail.push(this.at[slot] as number);
  }

  pathOf(index: number): ResponsePath {
    let slot = index * this.stride;
    const path = this.parent.pathOf(this.trail[slot] as number);
    for (const step of this.steps) path.push(step === '@' ? (this.trail[(slot += 1)] as number) : step);
    const nested = this.nested?.get(index);
    if (nested) path.push(...nested);
    return path;
  }
}

const rootScope = (data: JsonObject): Scope => ({ objects: [data], pathOf: () => [] });

function commonPrefix(paths: readonly ResponsePath[]): ResponsePath {
  let prefix: ResponsePath | undefined;
  for (const keys of paths) {
    if (!prefix) {
      prefix = [...keys];
      continue;
    }
    let length = 0;
    while (length < prefix.length && length < keys.length && prefix[length] === keys[length]) length += 1;
    prefix.length = length;
  }
  return prefix ?? [];
}

const rootKeysOfFetch = new WeakMap<FetchNode, string[]>();

/** The top-level response keys a root fetch fills: where its failure shows in the client's response. */
function rootKeysOf(node: FetchNode): string[] {
  let keys = rootKeysOfFetch.get(node);
  if (!keys) {
    keys = [];
    try {
      const document = parse(node.operation, { noLocation: true });
      for (const definition of document.definitions) {
        if (definition.kind !== 'OperationDefinition') continue;
        for (const selection of definition.selectionSet.selections) {
          if (selection.kind === 'Field') keys.push(selection.alias?.value ?? selection.name.value);
        }
      }
    } catch {
      // The planner printed it; a fetch that cannot be parsed reports its failure without a path.
    }
    rootKeysOfFetch.set(node, keys);
  }
  return keys;
}

/** A subgraph's error, as the client sees it: at the client's path, naming the subgraph, without its locations. */
function clientError(error: GraphQLFormattedError, serviceName: string, path: ReadonlyArray<string | number> | undefined): GraphQLFormattedError {
  return {
    message: typeof error.message === 'string' ? error.message : 'Subgraph error',
    ...(path ? { path } : {}),
    // A subgraph error without a code is still the subgraph's, not the router's own failure.
    extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', ...(isObject(error.extensions) ? error.extensions : {}), serviceName },
  };
}

export class PlanExecution {
  /** The merged answers of every fetch: the response tree, before shaping. */
  readonly data: JsonObject = {};
  /** Errors of the primary response. */
  readonly errors: GraphQLFormattedError[] = [];
  /** Deferred parts started so far (only when deferring; otherwise they run inline). */
  readonly deferred: RunningDeferred[] = [];
  private readonly fetches = new Map<string, Promise<void>>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly variables: Readonly<JsonObject>,
    private readonly fetch: SubgraphFetch,
    /** Whether deferred parts are delivered later; false runs them with the rest, for one ordinary response. */
    private readonly streamDeferred: boolean,
  ) {}

  async execute(node: PlanNode): Promise<void> {
    await this.run(node, rootScope(this.data), this.errors);
  }

  private async run(node: PlanNode, scope: Scope, errors: GraphQLFormattedError[]): Promise<void> {
    switch (node.kind) {
      case 'Sequence':
        for (const child of node.nodes) await this.run(child, scope, errors);
        return;
      case 'Parallel':
        await Promise.all(node.nodes.map((child) => this.run(child, scope, errors)));
        return;
      case 'Flatten': {
        const inner = new FlattenedScope(scope, node.path);
        if (inner.objects.length) await this.run(node.node, inner, errors);
        return;
      }
      case 'Condition': {
        const branch = this.variables[node.condition] === true ? node.ifClause : node.elseClause;
        if (branch) await this.run(branch, scope, errors);
        return;
      }
      case 'Fetch': {
        const running = this.runFetch(node, scope, errors);
        if (node.id) this.fetches.set(node.id, running);
        await running;
        return;
      }
      case 'Defer':
        await this.runDefer(node, scope, errors);
        return;
    }
  }

  private async runDefer(node: DeferNode, scope: Scope, errors: GraphQLFormattedError[]): Promise<void> {
    const primary = node.primary.node ? this.run(node.primary.node, scope, errors) : Promise.resolve();
    const inline: Array<Promise<unknown>> = [];
    for (const deferred of node.deferred) {
      const done = (async () => {
        // A deferred part needs the fetches it depends on; those run in the primary part or in an enclosing one.
        await primary.catch(() => undefined);
        await Promise.all(deferred.depends.map((dependency) => this.fetches.get(dependency.id)?.catch(() => undefined)));
        const partErrors: GraphQLFormattedError[] = this.streamDeferred ? [] : errors;
        if (deferred.node) await this.run(deferred.node, scope, partErrors);
        return partErrors;
      })();
      if (this.streamDeferred) this.deferred.push({ node: deferred, done });
      else inline.push(done);
    }
    await primary;
    await Promise.all(inline);
  }

  private variablesFor(node: FetchNode): JsonObject {
    const variables: JsonObject = {};
    for (const name of node.variableUsages ?? []) {
      const value = this.variables[name];
      if (value !== undefined) variables[name] = value;
    }
    return variables;
  }

  private async runFetch(node: FetchNode, scope: Scope, errors: GraphQLFormattedError[]): Promise<void> {
    if (!node.requires) {
      await this.runRootFetch(node, scope, errors);
      return;
    }
    if (node.contextRewrites?.length) {
      await this.runContextualFetch(node, node.requires, scope, errors);
      return;
    }
    const { representations, targets } = this.representationsFor(node, node.requires, scope);
    if (representations.length === 0) return;
    const targetPaths = () => commonPrefix(targets.flatMap((indexes) => indexes.map((index) => scope.pathOf(index))));

    let result: SubgraphFetchResult;
    try {
      result = await this.fetch({
        serviceName: node.serviceName,
        query: node.operation,
        operationName: node.operationName,
        operationKind: node.operationKind,
        variables: { ...this.variablesFor(node), representations },
      });
    } catch (error) {
      errors.push(this.failure(error, node.serviceName, targetPaths()));
      return;
    }

    const entities = result.data?._entities;
    if (Array.isArray(entities)) this.mergeEntities(node, scope, targets, entities);
    for (const error of result.errors ?? []) {
      const [root, position, ...rest] = error.path ?? [];
      const indexes = root === '_entities' && typeof position === 'number' ? targets[position] : undefined;
      if (indexes) {
        for (const index of indexes) errors.push(clientError(error, node.serviceName, [...scope.pathOf(index), ...rest]));
      } else {
        errors.push(clientError(error, node.serviceName, targetPaths()));
      }
    }
  }

  /**
   * An entity fetch whose fields take @fromContext arguments: its entities grouped by their context values, one
   * aliased `_entities` per group in a single call (context-arguments.ts).
   */
  private async runContextualFetch(node: FetchNode, requires: NonNullable<FetchNode['requires']>, scope: Scope, errors: GraphQLFormattedError[]): Promise<void> {
    const contextVariables = contextVariablesOf(node.contextRewrites ?? []);
    const groups = new Map<string, { values: JsonObject; representations: JsonObject[]; targets: number[][]; seen: RepresentationIndex }>();
    for (let index = 0; index < scope.objects.length; index += 1) {
      const representation = representationOf(this.schema, requires, scope.objects[index] as JsonObject);
      if (!representation) continue;
      applyRewrites(this.schema, node.inputRewrites, representation);
      const values = contextValuesFor(this.schema, contextVariables, this.ancestorsAt(scope.pathOf(index)));
      const key = JSON.stringify(values);
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { values, representations: [], targets: [], seen: new RepresentationIndex() }));
      const known = group.seen.positionOf(representation, group.representations.length);
      if (known !== undefined) {
        group.targets[known]?.push(index);
        continue;
      }
      group.representations.push(representation);
      group.targets.push([index]);
    }
    if (groups.size === 0) return;
    const ordered = [...groups.values()];
    const variables: JsonObject = this.variablesFor(node);
    ordered.forEach((group, position) => Object.assign(variables, groupVariables(position, group.representations, group.values)));
    const targetPaths = () => commonPrefix(ordered.flatMap((group) => group.targets.flatMap((indexes) => indexes.map((index) => scope.pathOf(index)))));

    let result: SubgraphFetchResult;
    try {
      result = await this.fetch({
        serviceName: node.serviceName,
        query: groupedOperation(node, new Set(contextVariables.keys()), ordered.length),
        operationName: node.operationName,
        operationKind: node.operationKind,
        variables,
      });
    } catch (error) {
      errors.push(this.failure(error, node.serviceName, targetPaths()));
      return;
    }
    ordered.forEach((group, position) => {
      const entities = result.data?.[groupAlias(position)];
      if (Array.isArray(entities)) this.mergeEntities(node, scope, group.targets, entities);
    });
    for (const error of result.errors ?? []) {
      const [root, position, ...rest] = error.path ?? [];
      const group = typeof root === 'string' ? ordered[ordered.findIndex((_, i) => groupAlias(i) === root)] : undefined;
      const indexes = group && typeof position === 'number' ? group.targets[position] : undefined;
      if (indexes) {
        for (const index of indexes) errors.push(clientError(error, node.serviceName, [...scope.pathOf(index), ...rest]));
      } else {
        errors.push(clientError(error, node.serviceName, targetPaths()));
      }
    }
  }

  /** The objects on the way from the response's root to the one at `path`, that one last (lists are skipped). */
  private ancestorsAt(path: ResponsePath): JsonObject[] {
    const ancestors: JsonObject[] = [this.data];
    let value: unknown = this.data;
    for (const step of path) {
      value = Array.isArray(value) ? value[step as number] : isObject(value) ? value[step] : undefined;
      if (isObject(value)) ancestors.push(value);
    }
    return ancestors;
  }

  /**
   * The representations an entity fetch sends, identical ones once, and for each the indexes of the scope's
   * objects it stands for. Objects without what the fetch requires (a fetch that provides it failed) are not sent.
   */
  private representationsFor(node: FetchNode, requires: NonNullable<FetchNode['requires']>, scope: Scope): { representations: JsonObject[]; targets: number[][] } {
    const representations: JsonObject[] = [];
    const targets: number[][] = [];
    const seen = new RepresentationIndex();
    for (let index = 0; index < scope.objects.length; index += 1) {
      const representation = representationOf(this.schema, requires, scope.objects[index] as JsonObject);
      if (!representation) continue;
      applyRewrites(this.schema, node.inputRewrites, representation);
      const known = seen.positionOf(representation, representations.length);
      if (known !== undefined) {
        targets[known]?.push(index);
        continue;
      }
      representations.push(representation);
      targets.push([index]);
    }
    return { representations, targets };
  }

  /** Merges each returned entity into every scope object its representation stood for. */
  private mergeEntities(node: FetchNode, scope: Scope, targets: readonly number[][], entities: readonly unknown[]): void {
    for (let position = 0; position < targets.length; position += 1) {
      const entity: unknown = entities[position];
      if (!isObject(entity)) continue;
      applyRewrites(this.schema, node.outputRewrites, entity);
      for (const index of targets[position] as number[]) mergeInto(scope.objects[index] as JsonObject, entity);
    }
  }

  private async runRootFetch(node: FetchNode, scope: Scope, errors: GraphQLFormattedError[]): Promise<void> {
    let result: SubgraphFetchResult;
    try {
      result = await this.fetch({
        serviceName: node.serviceName,
        query: node.operation,
        operationName: node.operationName,
        operationKind: node.operationKind,
        variables: this.variablesFor(node),
      });
    } catch (error) {
      const base = scope.pathOf(0);
      const keys = rootKeysOf(node);
      if (keys.length === 0) errors.push(this.failure(error, node.serviceName, base.length ? base : undefined));
      for (const key of keys) errors.push(this.failure(error, node.serviceName, [...base, key]));
      return;
    }
    const data = result.data;
    if (isObject(data)) {
      applyRewrites(this.schema, node.outputRewrites, data);
      for (const object of scope.objects) mergeInto(object, data);
    }
    for (const error of result.errors ?? []) {
      const path = error.path ? [...scope.pathOf(0), ...error.path] : undefined;
      errors.push(clientError(error, node.serviceName, path));
    }
  }

  private failure(error: unknown, serviceName: string, path: ReadonlyArray<string | number> | undefined): GraphQLFormattedError {
    if (error instanceof SubgraphCallError) return error.formatted(path);
    const formatted = error as { message?: unknown; extensions?: unknown };
    // The circuit breaker refuses with a GraphQLError that already names its code and subgraph.
    if (isObject(formatted.extensions) && typeof formatted.extensions.code === 'string' && typeof formatted.message === 'string') {
      return { message: formatted.message, ...(path ? { path } : {}), extensions: { ...formatted.extensions, serviceName } };
    }
    throw error;
  }
}
