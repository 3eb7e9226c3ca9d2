import { viewerKey, type Viewer } from '@storefront/identity';
import type { Logger } from '@storefront/telemetry';
import { GraphQLError, Kind, type DocumentNode, type FormattedExecutionResult, type GraphQLFormattedError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { FederationEngine } from '../execution/engine.ts';
import { ExecutionErrorCode } from '../execution/errors.ts';
import type { SubgraphFetch, SubgraphFetchResult } from '../execution/plan-executor.ts';
import type { SubgraphCaller } from '../execution/subgraph-caller.ts';
import { subgraphsOf } from '../execution/supergraph-subgraphs.ts';
import type { RouterRequestContext } from '../subgraph-fetches.ts';
import { SubscriptionAuthorization } from './authorize.ts';
import type { SubgraphStreams } from './subgraph-streams.ts';
import { DEFAULT_SUBSCRIPTION_SHARING, type SubscriptionSharingSettings } from './sharing-policy.ts';
import { SharedSubscriptions, type Delivery } from './shared-subscriptions.ts';
import { stoppable } from './stoppable.ts';
import { eventResult, subscriptionEvents } from './subscription-events.ts';
import type { SubscriptionMetrics, Transport } from './subscription-metrics.ts';

/*
 * Subscriptions, whatever transport carries them: authorization, the engine's plan, the owning subgraph's
 * stream and the rest of the plan per event, shared by the client subscriptions that are the same
 * (shared-subscriptions.ts, sharing-policy.ts). Transports (WebSocket, SSE, multipart HTTP) authenticate the
 * client, build the session and write what this returns.
 */

/** One client connection's standing: who it acts for and what ends its subscriptions early. */
export interface SubscriptionSession {
  transport: Transport;
  viewer: Viewer | null;
  context: RouterRequestContext;
  /** Settles with the error that ends every subscription of the session (token expiry, shutdown). */
  ended: Promise<GraphQLFormattedError>;
  /** Drops the client at once when one of its subscriptions falls too far behind (it stopped reading). */
  slow?: () => void;
}

export interface SubscriptionStart {
  document: DocumentNode;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
  session: SubscriptionSession;
}

export interface SubscriptionServiceOptions {
  engine: FederationEngine;
  caller: SubgraphCaller;
  streams: SubgraphStreams;
  /** Routing URLs that replace the supergraph's, by lower-cased subgraph name (as the engine's). */
  subgraphUrls: Readonly<Record<string, string>>;
  metrics: SubscriptionMetrics;
  logger: Logger;
  sharing?: SubscriptionSharingSettings;
  /** Deliveries one client may leave waiting before it is dropped as a slow consumer (MEMBER_BACKLOG). */
  memberBacklog?: number;
}

export type SubscriptionOutcome = FormattedExecutionResult | AsyncGenerator<FormattedExecutionResult>;

/** The root field a subscription selects (a subscription has exactly one). */
function rootFieldOf(operation: OperationDefinitionNode): string | undefined {
  const [selection] = operation.selectionSet.selections;
  return selection?.kind === Kind.FIELD ? selection.name.value : undefined;
}

export class SubscriptionService {
  private apiSchema: GraphQLSchema | undefined;
  private readonly authorization = new SubscriptionAuthorization();
  private readonly shared: SharedSubscriptions;
  private readonly sharing: SubscriptionSharingSettings;
  private readonly changeFeeds: ReadonlySet<string>;
  private readonly publicFeeds: ReadonlySet<string>;
  /** Per loaded supergraph: streams are shared within one (a reload keeps old subscriptions on their plans). */
  private readonly generations = new WeakMap<GraphQLSchema, number>();
  private generation = 0;
  /** Unique keys when sharing is off. */
  private unshared = 0;

  constructor(private readonly options: SubscriptionServiceOptions) {
    this.sharing = options.sharing ?? DEFAULT_SUBSCRIPTION_SHARING;
    this.changeFeeds = new Set(this.sharing.changeFeeds);
    this.publicFeeds = new Set(this.sharing.publicFeeds);
    const { metrics } = options;
    this.shared = new SharedSubscriptions({ upstreamOpened: metrics.upstreamOpened, upstreamClosed: metrics.upstreamClosed, executed: metrics.executed });
    options.engine.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
      this.apiSchema = apiSchema;
      this.authorization.useSupergraph(coreSupergraphSdl);
      const urls = new Map<string, URL>();
      for (const [name, url] of subgraphsOf(coreSupergraphSdl)) {
        const target = options.subgraphUrls[name.toLowerCase()] ?? url;
        if (target) urls.set(name, new URL(target));
      }
      options.streams.useUrls(urls);
    });
  }

  /** The API schema subscriptions are validated against; undefined until a supergraph is loaded. */
  schema(): GraphQLSchema | undefined {
    return this.apiSchema;
  }

  /** Subgraph streams open now (shared by the client subscriptions that are the same). */
  get upstreams(): number {
    return this.shared.size;
  }

  private generationOf(schema: GraphQLSchema): number {
    let generation = this.generations.get(schema);
    if (generation === undefined) this.generations.set(schema, (generation = ++this.generation));
    return generation;
  }

  async start({ document, operationName, variables, session }: SubscriptionStart): Promise<SubscriptionOutcome> {
    const schema = this.apiSchema;
    if (!schema) return { errors: [new GraphQLError('No supergraph is loaded yet', { extensions: { code: 'SERVICE_UNAVAILABLE' } }).toJSON()] };
    const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    const operation = operationName ? operations.find((candidate) => candidate.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
    if (!operation) return { errors: [{ message: operationName ? `Unknown operation named "${operationName}".` : 'Must provide operation name if query contains multiple operations.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] };
    if (operation.operation !== 'subscription') {
      return { errors: [{ message: 'Send queries and mutations over HTTP; this transport carries subscriptions.', extensions: { code: ExecutionErrorCode.OPERATION_NOT_SUPPORTED } }] };
    }
    const authorized = this.authorization.authorize(schema, document, operation, variables ?? {}, session.viewer);
    if (authorized.empty) return authorized.finish({ data: {} });
    const prepared = await this.options.engine.prepareSubscription({
      document: authorized.document,
      operation: authorized.operation,
      operationName,
      queryHash: authorized.queryHash,
      variables,
    });
    if ('errors' in prepared) return { errors: prepared.errors.map((error) => error.toJSON()) };
    const { primary } = prepared.node;
    const primaryVariables: Record<string, unknown> = {};
    for (const name of primary.variableUsages ?? []) if (prepared.variables[name] !== undefined) primaryVariables[name] = prepared.variables[name];
    const { context, transport, viewer } = session;
    const { metrics, streams } = this.options;
    const field = rootFieldOf(authorized.operation);
    const publicFeed = field !== undefined && this.publicFeeds.has(field);
    // A public feed's stream runs as no one, so every viewer's subscription can share it.
    const primaryContext: RouterRequestContext = publicFeed ? { ...context, viewer: null } : context;
    const viewerId = viewerKey(viewer);
    const generation = this.generationOf(prepared.schema);
    const separate = this.sharing.enabled ? '' : String(++this.unshared);
    const upstreamKey = JSON.stringify([generation, primary.serviceName, primary.operation, primary.operationName ?? null, primaryVariables, publicFeed ? '' : viewerId, separate]);
    // Same authorized plan, variables and viewer: the same payload, so one run of the rest serves them all.
    const groupKey = JSON.stringify([authorized.queryHash, operationName ?? null, prepared.variables, viewerId]);
    // The rest of the plan reads entities like a query does: the entity cache and joined identical fetches
    // apply. Made when the group first runs: the group's first subscriber's fetch serves every member (they
    // have the same viewer), later members never make one.
    let fetch: SubgraphFetch | undefined;
    const run = (event: SubgraphFetchResult) => {
      fetch ??= this.options.caller.forRequest({ context, operationKind: 'query', cachePolicy: undefined });
      return eventResult(prepared, event, fetch, authorized.finish);
    };
    // Joined when the client asks for the first event; kept to be ended at once when the client stops.
    let deliveries: AsyncIterableIterator<Delivery> | undefined;
    const join = () =>
      (deliveries = this.shared.join({
        upstreamKey,
        groupKey,
        replayLatest: field === undefined || !this.changeFeeds.has(field),
        openPrimary: () =>
          streams.subscribe(
            { serviceName: primary.serviceName, query: primary.operation, operationName: primary.operationName, operationKind: primary.operationKind, variables: primaryVariables },
            primaryContext,
            { ownConnection: !this.sharing.enabled },
          ),
        run,
        ...(this.options.memberBacklog ? { backlog: this.options.memberBacklog } : {}),
        ...(session.slow ? { onSlow: session.slow } : {}),
      }));
    const events = subscriptionEvents({ join, ended: session.ended, delivered: (seconds) => metrics.delivered(transport, seconds) });
    return stoppable(
      counted(events, () => metrics.subscriptionOpened(transport), () => metrics.subscriptionClosed(transport)),
      () => void deliveries?.return?.(),
    );
  }
}

/** Counts a subscription open from its first event request to its end (a generator never started holds nothing). */
async function* counted<T>(events: AsyncGenerator<T>, opened: () => void, closed: () => void): AsyncGenerator<T> {
  opened();
  try {
    yield* events;
  } finally {
    closed();
  }
}
