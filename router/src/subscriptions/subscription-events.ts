import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import { applyRewrites, isObject, mergeInto } from '../execution/data.ts';
import type { PreparedSubscription } from '../execution/engine.ts';
import { withClientPath } from '../execution/engine.ts';
import { PlanExecution, type SubgraphFetch, type SubgraphFetchResult } from '../execution/plan-executor.ts';
import { shapeResponse, ShapingRun } from '../execution/response-shape.ts';

/*
 * One client subscription, event by event: each event of the primary stream (the owning subgraph's answer
 * for the root field) becomes the start of a response tree, the rest of the plan runs on it through the same
 * executor queries use (entity fetches to the other subgraphs), and the tree is shaped on the client's
 * selection. Events are handled one at a time, in the order the subgraph sent them.
 */

export interface SubscriptionEventsOptions {
  prepared: PreparedSubscription;
  /** Opens the owning subgraph's stream, when the client asks for the first event (never for one that does not). */
  openPrimary: () => AsyncIterableIterator<SubgraphFetchResult>;
  /** Subgraph calls for the rest of the plan, as the client's (identity, breakers, metrics). */
  fetch: SubgraphFetch;
  /** Authorization's part of each payload: withheld fields back as null with their errors. */
  finish?: (result: FormattedExecutionResult) => FormattedExecutionResult;
  /** Settles with the error that ends the subscription early (the access token expired, shutdown). */
  ended: Promise<GraphQLFormattedError>;
  /** Told of each event delivered, with how long the rest of its plan took. */
  delivered?: (seconds: number) => void;
}

async function resultOf(prepared: PreparedSubscription, event: SubgraphFetchResult, fetch: SubgraphFetch): Promise<FormattedExecutionResult> {
  const { schema, node, variables } = prepared;
  const serviceName = node.primary.serviceName;
  const primaryErrors: GraphQLFormattedError[] = (event.errors ?? []).map((error) => ({
    ...error,
    extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', ...(isObject(error.extensions) ? error.extensions : {}), serviceName },
  }));
  const { clientKeyOf } = prepared.prepared;
  if (!isObject(event.data)) return { data: null, errors: clientKeyOf.size ? primaryErrors.map((error) => withClientPath(error, clientKeyOf)) : primaryErrors };
  const execution = new PlanExecution(schema, variables, fetch, false);
  applyRewrites(schema, node.primary.outputRewrites, event.data);
  mergeInto(execution.data, event.data);
  execution.errors.push(...primaryErrors);
  if (node.rest) await execution.execute(node.rest);
  const errors = clientKeyOf.size ? execution.errors.map((error) => withClientPath(error, clientKeyOf)) : execution.errors;
  const data = shapeResponse(new ShapingRun(errors), prepared.prepared.shapeFor(variables, false), execution.data);
  return errors.length ? { data, errors } : { data };
}

/** The client's results of one subscription; returning early (the client completed it) ends the primary too. */
export async function* subscriptionEvents(options: SubscriptionEventsOptions): AsyncGenerator<FormattedExecutionResult> {
  const { prepared, fetch, finish = (result) => result } = options;
  const primary = options.openPrimary();
  const ended = options.ended.then((error) => ({ kind: 'ended' as const, error }));
  try {
    for (;;) {
      const next = await Promise.race([primary.next().then((step) => ({ kind: 'event' as const, step })), ended]);
      if (next.kind === 'ended') {
        yield { errors: [next.error] };
        return;
      }
      if (next.step.done) return;
      const started = process.hrtime.bigint();
      const result = finish(await resultOf(prepared, next.step.value, fetch));
      options.delivered?.(Number(process.hrtime.bigint() - started) / 1e9);
      yield result;
      // The subgraph's refusal or a lost connection: reported, and the end of this subscription.
      if (result.data === null && result.errors?.length) return;
    }
  } finally {
    await primary.return?.();
  }
}
