import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { clientPath } from './client-keys.ts';
import { typeConditionHolds, isObject, type JsonObject } from './data.ts';
import type { RunningDeferred } from './plan-executor.ts';
import type { PreparedOperation } from './prepared-operation.ts';
import { extendPath, pathToArray, type Path } from './response-path.ts';
import { shapeResponse, ShapingRun } from './response-shape.ts';

/*
 * Incremental delivery (`@defer`), as Apollo Client and Apollo Router speak it (deferSpec=20220824): the
 * initial payload, then a payload per finished deferred part, `{ incremental: [{ data, path, label? }],
 * hasNext }`, with the part's own errors inside its item. The HTTP host writes them as multipart/mixed.
 */

/** Labels the planner makes up for unlabelled fragments; the client never named them, so it never sees them. */
const PLANNER_LABEL = /^qp__\d+$/;

export interface IncrementalItem {
  data: JsonObject | null;
  path: Array<string | number>;
  label?: string;
  errors?: GraphQLFormattedError[];
}

export interface SubsequentPayload {
  incremental: IncrementalItem[];
  hasNext: boolean;
}

/** The objects a deferred part's path leads to in the merged data, with their paths in the response. */
function objectsAt(schema: GraphQLSchema, data: JsonObject, queryPath: readonly string[]): Array<{ object: JsonObject; path: Path }> {
  let current: Array<{ value: unknown; path: Path }> = [{ value: data, path: undefined }];
  const expand = (entries: Array<{ value: unknown; path: Path }>) =>
    entries.flatMap((entry) => (Array.isArray(entry.value) ? entry.value.map((value: unknown, index) => ({ value, path: extendPath(entry.path, index) })) : [entry]));
  for (const element of queryPath) {
    current = expand(current);
    if (element.startsWith('... on ')) {
      const condition = element.slice('... on '.length);
      current = current.filter((entry) => isObject(entry.value) && typeConditionHolds(schema, entry.value.__typename, condition));
      continue;
    }
    current = current.flatMap((entry) => (isObject(entry.value) && entry.value[element] !== undefined && entry.value[element] !== null ? [{ value: entry.value[element], path: extendPath(entry.path, element) }] : []));
  }
  return expand(current).flatMap((entry) => (isObject(entry.value) ? [{ object: entry.value, path: entry.path }] : []));
}

/** The items of one finished deferred part. */
function itemsOf(schema: GraphQLSchema, prepared: PreparedOperation, variables: Readonly<JsonObject>, data: JsonObject, deferred: RunningDeferred, errors: GraphQLFormattedError[]): IncrementalItem[] {
  const { node } = deferred;
  const label = node.label && !PLANNER_LABEL.test(node.label) ? node.label : undefined;
  const shape = prepared.deferredShape(node, variables);
  const targets = shape ? objectsAt(schema, data, node.queryPath) : [];
  const keys = prepared.clientKeyOf;
  const partErrors = keys.size ? errors.map((error) => (error.path ? { ...error, path: clientPath(error.path, keys) } : error)) : errors;
  const items: IncrementalItem[] = targets.map(({ object, path }, index) => {
    // The part's fetch errors go with its first item; shaping errors with the item they are in.
    const itemErrors: GraphQLFormattedError[] = index === 0 ? [...partErrors] : [];
    const run = new ShapingRun(itemErrors);
    const shaped = shapeResponse(run, shape as NonNullable<typeof shape>, object, path);
    return { data: shaped, path: clientPath(pathToArray(path), keys), ...(label ? { label } : {}), ...(itemErrors.length ? { errors: itemErrors } : {}) };
  });
  if (items.length === 0 && partErrors.length) items.push({ data: null, path: clientPath(node.queryPath, keys), ...(label ? { label } : {}), errors: partErrors });
  return items;
}

/**
 * The subsequent payloads of an incremental response, one per deferred part as it finishes (parts started by
 * a finished part are waited for too), the last with `hasNext: false`.
 */
export async function* subsequentPayloads(
  schema: GraphQLSchema,
  prepared: PreparedOperation,
  variables: Readonly<JsonObject>,
  data: JsonObject,
  running: RunningDeferred[],
): AsyncGenerator<SubsequentPayload> {
  const pending = new Map<RunningDeferred, Promise<{ part: RunningDeferred; errors: GraphQLFormattedError[] }>>();
  let seen = 0;
  const admitNew = () => {
    for (; seen < running.length; seen += 1) {
      const part = running[seen] as RunningDeferred;
      pending.set(
        part,
        part.done.then(
          (errors) => ({ part, errors }),
          (error: unknown) => ({ part, errors: [{ message: error instanceof Error ? error.message : 'Deferred part failed', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }),
        ),
      );
    }
  };
  admitNew();
  while (pending.size) {
    const { part, errors } = await Promise.race(pending.values());
    pending.delete(part);
    admitNew();
    const items = itemsOf(schema, prepared, variables, data, part, errors);
    const hasNext = pending.size > 0;
    if (items.length || !hasNext) yield { incremental: items, hasNext };
  }
}
