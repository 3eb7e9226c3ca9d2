import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import { applyRewrites, isObject, mergeInto } from '../execution/data.ts';
import type { PreparedSubscription } from '../execution/engine.ts';
import { withClientPath } from '../execution/engine.ts';
import { PlanExecution, type SubgraphFetch, type SubgraphFetchResult } from '../execution/plan-executor.ts';
import { shapeResponse, ShapingRun } from '../execution/response-shape.ts';
import type { Delivery } from './shared-subscriptions.ts';

/*
 * A subscription's events: each event of the primary stream (the owning subgraph's answer for the root field)
 * becomes the start of a response tree, the rest of the plan runs on it through the same executor queries use
 * (entity fetches to the other subgraphs), and the tree is shaped on the client's selection. `eventResult`
 * does that once per event for every subscriber it is shared by (shared-subscriptions.ts);
 * `subscriptionEvents` is one client's side: its deliveries, ended early by its session.
 */

/** The client's payload for one primary event: the rest of the plan, shaping, then `finish` (authorization). */
export async function eventResult(
  prepared: PreparedSubscription,
  event: SubgraphFetchResult,
  fetch: SubgraphFetch,
  finish: (result: FormattedExecutionResult) => FormattedExecutionResult = (result) => result,
): Promise<FormattedExecutionResult> {
  const { schema, node, variables } = prepared;
  const serviceName = node.primary.serviceName;
  const primaryErrors: GraphQLFormattedError[] = (event.errors ?? []).map((error) => ({
    ...error,
    extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', ...(isObject(error.extensions) ? error.extensions : {}), serviceName },
  }));
  const { clientKeyOf } = prepared.prepared;
  if (!isObject(event.data)) return finish({ data: null, errors: clientKeyOf.size ? primaryErrors.map((error) => withClientPath(error, clientKeyOf)) : primaryErrors });
  const execution = new PlanExecution(schema, variables, fetch, false);
  // The event is shared by every group of its upstream: the tree is built on a copy.
  const data = structuredClone(event.data);
  applyRewrites(schema, node.primary.outputRewrites, data);
  mergeInto(execution.data, data);
  execution.errors.push(...primaryErrors);
  if (node.rest) await execution.execute(node.rest);
  const errors = clientKeyOf.size ? execution.errors.map((error) => withClientPath(error, clientKeyOf)) : execution.errors;
  const shaped = shapeResponse(new ShapingRun(errors), prepared.prepared.shapeFor(variables, false), execution.data);
  return finish(errors.length ? { data: shaped, errors } : { data: shaped });
}

export interface SubscriptionEventsOptions {
  /** Joins the shared subscription: called when the client asks for the first event (a generator never started holds nothing). */
  join: () => AsyncIterableIterator<Delivery>;
  /** Settles with the error that ends the subscription early (the access token expired, shutdown). */
  ended: Promise<GraphQLFormattedError>;
  /** Told of each event delivered, with how long the router took to make its payload. */
  delivered?: (seconds: number) => void;
}

/** The client's results of one subscription; returning early (the client completed it) leaves the shared one. */
export async function* subscriptionEvents(options: SubscriptionEventsOptions): AsyncGenerator<FormattedExecutionResult> {
  const deliveries = options.join();
  let endedBy: GraphQLFormattedError | undefined;
  // Ending the deliveries wakes a waiting next(); the error is reported below.
  void options.ended.then((error) => {
    endedBy = error;
    void deliveries.return?.();
  });
  try {
    for (;;) {
      const step = endedBy ? undefined : await deliveries.next();
      if (endedBy) {
        yield { errors: [endedBy] };
        return;
      }
      if (!step || step.done) return;
      const { result, seconds } = step.value;
      options.delivered?.(seconds);
      yield result;
      // The subgraph's refusal or a lost connection: reported, and the end of this subscription.
      if (result.data === null && result.errors?.length) return;
    }
  } finally {
    await deliveries.return?.();
  }
}
