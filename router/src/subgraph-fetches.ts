import type { RequestContext } from '@storefront/http-host';
import type { SubgraphIdentity } from './auth/index.ts';
import type { EngineRequestContext } from './execution/index.ts';

/*
 * Which subgraphs one client request called, and how often, for its log line. The executor is not ours to
 * change (router/src/execution), but every subgraph fetch it makes asks for the signed identity it carries,
 * with the request's context: counting there sees each fetch of the request, including those joined with an
 * identical fetch already in flight, and none the entity cache answered.
 */

/** Fetches per subgraph of one request; a holder, so Apollo Server's per-operation copy of the context shares it. */
export class SubgraphFetches {
  private readonly counts = new Map<string, number>();

  note(subgraph: string): void {
    this.counts.set(subgraph, (this.counts.get(subgraph) ?? 0) + 1);
  }

  /** `{ catalog: 1, inventory: 2 }`, in the order the subgraphs were first called. */
  toJSON(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

/** The router's request context: the engine's, with the request's fetch counts. */
export interface RouterRequestContext extends EngineRequestContext {
  subgraphFetches: SubgraphFetches;
}

export function subgraphFetchesOf(context: Partial<RequestContext> | undefined): SubgraphFetches | undefined {
  return context && 'subgraphFetches' in context && context.subgraphFetches instanceof SubgraphFetches ? context.subgraphFetches : undefined;
}

/** The identity for each subgraph fetch, counting the fetch in its request's SubgraphFetches on the way. */
export function countingFetches(identity: SubgraphIdentity): SubgraphIdentity {
  return (subgraph, context) => {
    subgraphFetchesOf(context)?.note(subgraph);
    return identity(subgraph, context);
  };
}
