import {
  getNamedType,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLFormattedError,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { isPathPrefix, pathToArray, type Path } from './response-path.ts';

/*
 * Response shaping: the subgraphs' answers, merged, hold more than the client asked for (keys, `__typename`s,
 * `@requires` inputs) and are in no particular order. The client's response is their projection on the
 * client's selection, in its order, with GraphQL's null propagation.
 *
 * What a selection means for each concrete type (fragments applied, fields merged by response key) is worked
 * out once per (operation, @skip/@include choice) and kept with the plan; per request, shaping is a walk over
 * the data with those prepared field lists.
 */

const TYPENAME = 0;
const LEAF = 1;
const ENUM = 2;
const COMPOSITE = 3;
/** Introspection answered by graphql-js on the API schema, copied as it is. */
const VERBATIM = 4;

/** One level of a field's type: whether it is non-null, and the item type when it is a list. */
interface TypeLevel {
  readonly nonNull: boolean;
  readonly item: TypeLevel | undefined;
}

interface FieldShape {
  /** The client's response key. */
  readonly key: string;
  /** Where the merged data holds it (an internal key when the client's collided with the planner's). */
  readonly sourceKey: string;
  readonly kind: typeof TYPENAME | typeof LEAF | typeof ENUM | typeof COMPOSITE | typeof VERBATIM;
  readonly type: TypeLevel;
  /** For messages: `Parent.field`. */
  readonly coordinate: string;
  readonly sub: SelectionShape | undefined;
  readonly enumValues: ReadonlySet<string> | undefined;
}

function typeLevels(type: GraphQLOutputType): TypeLevel {
  if (isNonNullType(type)) {
    const inner = typeLevels(type.ofType);
    return { nonNull: true, item: inner.item };
  }
  if (isListType(type)) return { nonNull: false, item: typeLevels(type.ofType) };
  return { nonNull: false, item: undefined };
}

/** What selections mean in one schema and document, under one choice of @skip/@include variables. */
export class ShapeCompiler {
  constructor(
    readonly schema: GraphQLSchema,
    readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    /** Values of the variables @skip/@include (and @defer's `if`) read; others are not needed. */
    readonly variables: Readonly<Record<string, unknown>>,
    /** Leave out fragments the client deferred: the shape of the initial part of an incremental response. */
    readonly excludeDeferred = false,
    /** Internal response keys → the client's (client-keys.ts). */
    readonly clientKeyOf: ReadonlyMap<string, string> = new Map(),
  ) {}

  /** Whether a fragment is deferred in this response (`@defer` whose `if` is not false). */
  deferred(node: SelectionNode): boolean {
    if (!this.excludeDeferred) return false;
    const directive = node.directives?.find((candidate) => candidate.name.value === 'defer');
    if (!directive) return false;
    const argument = directive.arguments?.find((candidate) => candidate.name.value === 'if');
    if (!argument) return true;
    if (argument.value.kind === Kind.BOOLEAN) return argument.value.value;
    return argument.value.kind === Kind.VARIABLE ? this.variables[argument.value.name.value] !== false : true;
  }

  shape(parentType: GraphQLCompositeType, selectionSets: readonly SelectionSetNode[]): SelectionShape {
    return new SelectionShape(this, parentType, selectionSets);
  }

  included(node: SelectionNode): boolean {
    for (const directive of node.directives ?? []) {
      const name = directive.name.value;
      if (name !== 'skip' && name !== 'include') continue;
      const argument = directive.arguments?.find((candidate) => candidate.name.value === 'if');
      if (!argument) continue;
      const value =
        argument.value.kind === Kind.BOOLEAN ? argument.value.value : argument.value.kind === Kind.VARIABLE ? this.variables[argument.value.name.value] === true : false;
      if (name === 'skip' && value) return false;
      if (name === 'include' && !value) return false;
    }
    return true;
  }

  /** Whether a fragment with this type condition applies to an object whose `__typename` is `typename`. */
  applies(condition: string | undefined, typename: string, parentType: GraphQLCompositeType): boolean {
    if (condition === undefined || condition === typename || condition === parentType.name) return true;
    const conditionType = this.schema.getType(condition);
    const objectType = this.schema.getType(typename);
    if (!conditionType || !objectType || !isAbstractType(conditionType)) return false;
    return (isObjectType(objectType) || isAbstractType(objectType)) && this.schema.isSubType(conditionType, objectType as never);
  }
}

/** The variables a document's @skip/@include/@defer read: the only ones a prepared shape depends on. */
export function conditionVariablesOf(selectionSets: Iterable<SelectionSetNode>): string[] {
  const names = new Set<string>();
  const visit = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      for (const directive of selection.directives ?? []) {
        if (directive.name.value !== 'skip' && directive.name.value !== 'include' && directive.name.value !== 'defer') continue;
        for (const argument of directive.arguments ?? []) if (argument.value.kind === Kind.VARIABLE) names.add(argument.value.name.value);
      }
      if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) visit(selection.selectionSet);
    }
  };
  for (const selectionSet of selectionSets) visit(selectionSet);
  return [...names].sort();
}

const INTROSPECTION_ROOT_FIELDS = new Set(['__schema', '__type']);

/** A selection set (or several merged ones) on a composite type: its field list per concrete type, made on first use. */
export class SelectionShape {
  private readonly byType = new Map<string, FieldShape[]>();

  constructor(
    private readonly compiler: ShapeCompiler,
    readonly parentType: GraphQLCompositeType,
    private readonly selectionSets: readonly SelectionSetNode[],
  ) {}

  fieldsFor(typename: string): FieldShape[] {
    let fields = this.byType.get(typename);
    if (!fields) {
      fields = this.compile(typename);
      this.byType.set(typename, fields);
    }
    return fields;
  }

  private collect(selectionSet: SelectionSetNode, typename: string, into: Map<string, FieldNode[]>, visitedFragments: Set<string>): void {
    const { compiler } = this;
    for (const selection of selectionSet.selections) {
      if (!compiler.included(selection)) continue;
      switch (selection.kind) {
        case Kind.FIELD: {
          const key = selection.alias?.value ?? selection.name.value;
          const nodes = into.get(key);
          if (nodes) nodes.push(selection);
          else into.set(key, [selection]);
          break;
        }
        case Kind.INLINE_FRAGMENT:
          if (compiler.deferred(selection)) break;
          if (compiler.applies(selection.typeCondition?.name.value, typename, this.parentType)) this.collect(selection.selectionSet, typename, into, visitedFragments);
          break;
        case Kind.FRAGMENT_SPREAD: {
          const name = selection.name.value;
          const fragment = compiler.fragments.get(name);
          if (!fragment || visitedFragments.has(name) || compiler.deferred(selection)) break;
          if (!compiler.applies(fragment.typeCondition.name.value, typename, this.parentType)) break;
          visitedFragments.add(name);
          this.collect(fragment.selectionSet, typename, into, visitedFragments);
          break;
        }
      }
    }
  }

  private fieldDefinition(typename: string, name: string): GraphQLField<unknown, unknown> | undefined {
    const type = this.compiler.schema.getType(typename);
    const owner = type && (isObjectType(type) || isAbstractType(type)) && 'getFields' in type ? type : this.parentType;
    return 'getFields' in owner ? owner.getFields()[name] : undefined;
  }

  private compile(typename: string): FieldShape[] {
    const grouped = new Map<string, FieldNode[]>();
    const visited = new Set<string>();
    for (const selectionSet of this.selectionSets) this.collect(selectionSet, typename, grouped, visited);
    const fields: FieldShape[] = [];
    const rootTypes = [this.compiler.schema.getQueryType(), this.compiler.schema.getMutationType(), this.compiler.schema.getSubscriptionType()];
    const atRoot = rootTypes.some((root) => root?.name === this.parentType.name);
    for (const [sourceKey, nodes] of grouped) {
      const key = this.compiler.clientKeyOf.get(sourceKey) ?? sourceKey;
      const first = nodes[0] as FieldNode;
      const name = first.name.value;
      if (name === '__typename') {
        fields.push({ key, sourceKey, kind: TYPENAME, type: { nonNull: true, item: undefined }, coordinate: `${typename}.__typename`, sub: undefined, enumValues: undefined });
        continue;
      }
      if (atRoot && INTROSPECTION_ROOT_FIELDS.has(name)) {
        fields.push({ key, sourceKey, kind: VERBATIM, type: { nonNull: false, item: undefined }, coordinate: name, sub: undefined, enumValues: undefined });
        continue;
      }
      const definition = this.fieldDefinition(typename, name);
      // Validation already refused unknown fields; a type the schema does not know resolves nothing here.
      if (!definition) continue;
      const named: GraphQLNamedType = getNamedType(definition.type);
      const coordinate = `${typename}.${name}`;
      if (isCompositeType(named)) {
        const subSelections = nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
        fields.push({ key, sourceKey, kind: COMPOSITE, type: typeLevels(definition.type), coordinate, sub: this.compiler.shape(named, subSelections), enumValues: undefined });
      } else if (isEnumType(named)) {
        fields.push({ key, sourceKey, kind: ENUM, type: typeLevels(definition.type), coordinate, sub: undefined, enumValues: new Set(named.getValues().map((value) => value.name)) });
      } else {
        fields.push({ key, sourceKey, kind: LEAF, type: typeLevels(definition.type), coordinate, sub: undefined, enumValues: undefined });
      }
    }
    return fields;
  }
}

/** What a subgraph answered does not fit the schema there (a null in a non-null field, an unknown enum value). */
const RESPONSE_VALIDATION_FAILED = 'RESPONSE_VALIDATION_FAILED';

/** A null where the schema says non-null, passed up to the nearest nullable position. */
const INVALID: unique symbol = Symbol('invalid');
/** A container that became null because a non-null value inside it was null (its error is already recorded). */
const NULLED: unique symbol = Symbol('nulled');
type Completed = unknown;

/**
 * Per-request state of one shaping walk: the response's errors so far, which it adds to, and the path of the
 * value being completed. The path is one array the walk pushes keys to and pops them from, copied only when an
 * error needs it: a path cell per value visited was the largest allocation of shaping, for errors that rarely come.
 */
export class ShapingRun {
  private readonly at: Array<string | number> = [];

  constructor(readonly errors: GraphQLFormattedError[]) {}

  /** Starts the walk at `path`: the root of the response, or where a deferred part goes. */
  startAt(path: Path): void {
    this.at.length = 0;
    for (const key of pathToArray(path)) this.at.push(key);
  }

  enter(key: string | number): void {
    this.at.push(key);
  }

  leave(): void {
    this.at.pop();
  }

  /** Whether an error is already recorded at, above or below this path (so a null there is explained). */
  private explained(path: ReadonlyArray<string | number>): boolean {
    for (const error of this.errors) {
      const at = error.path;
      if (!at) {
        if (error.extensions?.serviceName) return true;
        continue;
      }
      if (isPathPrefix(at, path) || isPathPrefix(path, at)) return true;
    }
    return false;
  }

  nullAtNonNull(coordinate: string): void {
    const keys = this.at.slice();
    if (this.explained(keys)) return;
    this.errors.push({ message: `Cannot return null for non-nullable field ${coordinate}.`, path: keys, extensions: { code: RESPONSE_VALIDATION_FAILED } });
  }

  invalid(message: string): void {
    this.errors.push({ message, path: this.at.slice(), extensions: { code: RESPONSE_VALIDATION_FAILED } });
  }
}

/** Completes the value at the run's current path. */
function completeValue(run: ShapingRun, field: FieldShape, level: TypeLevel, value: unknown): Completed {
  if (level.nonNull) {
    const inner = completeNullable(run, field, level, value);
    if (inner === null) {
      run.nullAtNonNull(field.coordinate);
      return INVALID;
    }
    return inner === NULLED ? INVALID : inner;
  }
  return completeNullable(run, field, level, value);
}

function completeList(run: ShapingRun, field: FieldShape, item: TypeLevel, value: readonly unknown[]): unknown[] | typeof NULLED {
  const out = new Array<unknown>(value.length);
  for (let index = 0; index < value.length; index += 1) {
    run.enter(index);
    const completed = completeValue(run, field, item, value[index]);
    run.leave();
    if (completed === INVALID) return NULLED;
    out[index] = completed === NULLED ? null : completed;
  }
  return out;
}

function completeNullable(run: ShapingRun, field: FieldShape, level: TypeLevel, value: unknown): Completed {
  if (value === null || value === undefined) return null;
  const item = level.item;
  if (item) {
    if (!Array.isArray(value)) {
      run.invalid(`Expected a list for ${field.coordinate}.`);
      return null;
    }
    return completeList(run, field, item, value);
  }
  switch (field.kind) {
    case COMPOSITE:
      if (typeof value !== 'object') {
        run.invalid(`Expected an object for ${field.coordinate}.`);
        return null;
      }
      return shapeObject(run, field.sub as SelectionShape, value as Record<string, unknown>);
    case ENUM:
      if (typeof value === 'string' && field.enumValues?.has(value)) return value;
      run.invalid(`Enum value ${JSON.stringify(value)} is not a value of ${field.coordinate}'s type.`);
      return null;
    default:
      return value;
  }
}

/**
 * The client's view of one object, at the run's current path: its fields for its concrete type, in selection
 * order; NULLED if a non-null one is null.
 */
export function shapeObject(run: ShapingRun, shape: SelectionShape, source: Record<string, unknown>): Record<string, unknown> | typeof NULLED {
  const reported = source.__typename;
  const typename = typeof reported === 'string' ? reported : shape.parentType.name;
  const fields = shape.fieldsFor(typename);
  const out: Record<string, unknown> = {};
  for (let index = 0; index < fields.length; index += 1) {
    const field = fields[index] as FieldShape;
    if (field.kind === TYPENAME) {
      out[field.key] = typename;
      continue;
    }
    const value = source[field.sourceKey];
    if (field.kind === VERBATIM) {
      out[field.key] = value ?? null;
      continue;
    }
    run.enter(field.key);
    const completed = completeValue(run, field, field.type, value);
    run.leave();
    if (completed === INVALID) return NULLED;
    if (field.key === '__proto__') Object.defineProperty(out, field.key, { value: completed === NULLED ? null : completed, enumerable: true, writable: true, configurable: true });
    else out[field.key] = completed === NULLED ? null : completed;
  }
  return out;
}

/** Shapes a whole response (or a deferred part) from `data`; null when a non-null root field is null. */
export function shapeResponse(run: ShapingRun, shape: SelectionShape, data: Record<string, unknown>, path: Path = undefined): Record<string, unknown> | null {
  run.startAt(path);
  const shaped = shapeObject(run, shape, data);
  return shaped === NULLED ? null : shaped;
}
