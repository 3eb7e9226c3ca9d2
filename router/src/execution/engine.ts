import { createHash } from 'node:crypto';
import type { ApolloGateway } from '@apollo/gateway';
import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';
import { operationFromDocument, type Schema as FederationSchema } from '@apollo/federation-internals';
import type { QueryPlan, QueryPlanner, SubscriptionNode } from '@apollo/query-planner';
import { type RequestContext } from '@storefront/http-host';
import { viewerKey } from '@storefront/identity';
import { withSpan, type Logger } from '@storefront/telemetry';
import {
  execute as executeGraphQL,
  GraphQLError,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import { Lru } from '../cache/lru.ts';
import type { CacheHint } from '../cache/entity-cache.ts';
import type { QueryPlanStore } from '../cache/query-plan-cache.ts';
import type { RouterMetrics } from '../metrics.ts';
import { chooseOverrideConditions, labelsTouchedBy, overriddenFieldsOf, overridePlanKey } from '../progressive-override.ts';
import { isObject, mergeInto, type JsonObject } from './data.ts';
import { InFlight } from './deduplication.ts';
import { ExecutionErrorCode, requestError } from './errors.ts';
import { subsequentPayloads, type SubsequentPayload } from './incremental.ts';
import { PlanExecution } from './plan-executor.ts';
import { clientPath, protectClientKeys } from './client-keys.ts';
import { entityResolvabilityOf, unresolvableFetchIn, type EntityResolvability } from './entity-resolvability.ts';
import { repairExternalSelections, subgraphFieldsOf, type SubgraphFields } from './external-selections.ts';
import { requirementsOf, splitConflictingRequirements, type Requirements } from './requirement-conflicts.ts';
import { PreparedOperation } from './prepared-operation.ts';
import { subgraphsOf } from './supergraph-subgraphs.ts';
import { shapeResponse, ShapingRun } from './response-shape.ts';
import type { SubgraphCaller } from './subgraph-caller.ts';

/*
 * The router's execution engine, behind Apollo Server's gateway interface: @apollo/gateway loads and
 * validates each supergraph and its QueryPlanner plans; this engine prepares each operation once (plan and
 * response shape, cached together) and runs it with its own plan executor and subgraph client.
 */

type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>['gateway'];
type GatewayLoadResult = Awaited<ReturnType<GatewayInterface['load']>>;
type GatewayExecutor = NonNullable<GatewayLoadResult['executor']>;
type GatewayRequestContext = Parameters<GatewayExecutor>[0];
type GatewayResult = Awaited<ReturnType<GatewayExecutor>>;
type SchemaListener = Parameters<GatewayInterface['onSchemaLoadOrUpdate']>[0];

/** What a request's context may carry for the engine, beside the shared RequestContext. */
export interface EngineRequestContext extends RequestContext {
  traceId?: string;
  /** The client's address as the router resolved it, sent to subgraphs (CLIENT_ADDRESS_HEADER). */
  clientAddress?: string;
  /** When the request's budget for subgraph calls runs out (epoch ms; ROUTER_REQUEST_TIMEOUT_MS). */
  deadline?: number;
  /** The client accepts `multipart/mixed` incremental delivery (deferSpec=20220824). */
  acceptsIncremental?: boolean;
  /**
   * Where the engine leaves the rest of a response that goes on after its initial payload (@defer). A holder
   * object, because Apollo Server runs each operation on a shallow copy of the context the host made.
   */
  delivery?: { incremental?: AsyncIterable<SubsequentPayload> };
}

/** A subscription operation to prepare (router/src/subscriptions), already parsed, validated and authorized. */
export interface SubscriptionRequest {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName: string | undefined;
  /** A hash of the document that identifies its plan (the filtered one's, after authorization). */
  queryHash: string;
  variables: Record<string, unknown> | undefined;
}

export interface PreparedSubscription {
  schema: GraphQLSchema;
  node: SubscriptionNode;
  prepared: PreparedOperation;
  variables: JsonObject;
}

export interface EngineOptions {
  /** Loads, validates and watches the supergraph; its planner (made with @defer on) plans. */
  gateway: ApolloGateway;
  caller: SubgraphCaller;
  /** Routing URLs that replace the supergraph's, by lower-cased subgraph name. */
  subgraphUrls: Readonly<Record<string, string>>;
  /** Plans shared with other replicas (Redis), when on; told of plans found among the prepared operations. */
  planStore: (QueryPlanStore & { countHit?(): void }) | undefined;
  /** Prepared operations kept in process. */
  preparedEntries: number;
  /** Progressive-override labels that are always on; `percent(N)` labels roll per request. */
  enabledOverrideLabels: ReadonlySet<string>;
  /** Join identical concurrent client queries (same document, variables and caller). */
  deduplicateOperations: boolean;
  metrics: RouterMetrics;
  logger: Logger;
  random?: () => number;
}

/** One loaded supergraph and everything derived from it. */
interface Supergraph {
  schema: GraphQLSchema;
  apiSchema: FederationSchema;
  planner: QueryPlanner;
  overridden: Map<string, Set<string>>;
  touchedLabels: WeakMap<DocumentNode, string[]>;
  prepared: Lru<PreparedOperation>;
  entities: EntityResolvability;
  requirements: Requirements;
  subgraphFields: SubgraphFields;
}

interface GatewayInternals {
  queryPlanner?: QueryPlanner;
  apiSchema?: FederationSchema;
}

/** The plan key @apollo/gateway's executor uses (query hash, with the operation name when there is one). */
export function planKeyOf(queryHash: string, operationName: string | null | undefined, hash: (...parts: string[]) => string): string {
  return operationName ? hash(queryHash, operationName) : queryHash;
}

export class FederationEngine implements GatewayInterface {
  private supergraph: Supergraph | undefined;
  private readonly listeners = new Set<SchemaListener>();
  private readonly operations = new InFlight<GatewayResult>();

  constructor(private readonly options: EngineOptions) {
    options.gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => this.useSupergraph(coreSupergraphSdl));
  }

  private useSupergraph(coreSupergraphSdl: string): void {
    const internals = this.options.gateway as unknown as GatewayInternals;
    const { queryPlanner: planner, apiSchema } = internals;
    // @apollo/gateway is pinned: its planner and API schema are what it would plan with itself.
    if (!planner || !apiSchema) throw new Error('@apollo/gateway loaded a supergraph without a query planner; is its version the one the router pins?');
    const schema = apiSchema.toGraphQLJSSchema({ includeDefer: true });
    this.supergraph = {
      schema,
      apiSchema,
      planner,
      overridden: overriddenFieldsOf(coreSupergraphSdl),
      touchedLabels: new WeakMap(),
      prepared: new Lru(this.options.preparedEntries),
      entities: entityResolvabilityOf(coreSupergraphSdl),
      requirements: requirementsOf(coreSupergraphSdl),
      subgraphFields: subgraphFieldsOf(coreSupergraphSdl),
    };
    const urls = new Map<string, URL>();
    for (const [name, url] of subgraphsOf(coreSupergraphSdl)) {
      const target = this.options.subgraphUrls[name.toLowerCase()] ?? url;
      if (target) urls.set(name, new URL(target));
      else this.options.logger.warn({ subgraph: name }, `subgraph ${name} has no routing URL; set SUBGRAPH_${name.toUpperCase()}_URL`);
    }
    this.options.caller.useUrls(urls);
    for (const listener of this.listeners) listener({ apiSchema: schema, coreSupergraphSdl });
  }

  onSchemaLoadOrUpdate(listener: SchemaListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async load(options: Parameters<GatewayInterface['load']>[0]): Promise<GatewayLoadResult> {
    await this.options.gateway.load(options);
    return {
      executor: (requestContext) =>
        withSpan('router.request', { attributes: requestContext.operationName ? { 'graphql.operation.name': requestContext.operationName } : {} }, () => this.execute(requestContext)),
    };
  }

  stop(): Promise<void> {
    return this.options.gateway.stop();
  }

  /** Plans an operation as requests will (for warming the plan cache from a safelist). */
  plan(document: DocumentNode, operationName: string | undefined, overrideConditions: Map<string, boolean>): QueryPlan | undefined {
    const supergraph = this.supergraph;
    if (!supergraph) return undefined;
    const { document: planned } = protectClientKeys(supergraph.schema, document);
    return repairExternalSelections(supergraph.planner.buildQueryPlan(operationFromDocument(supergraph.apiSchema, planned, { operationName }), { overrideConditions }), supergraph.subgraphFields);
  }

  /**
   * A subscription, prepared for router/src/subscriptions to run: its plan's Subscription node (the primary
   * fetch to the owning subgraph, then the rest of the plan per event), the prepared operation that shapes each
   * event, and the coerced variables. Plans are cached as for queries; progressive override is not rolled.
   */
  async prepareSubscription(request: SubscriptionRequest): Promise<PreparedSubscription | { errors: GraphQLError[] }> {
    const supergraph = this.supergraph;
    if (!supergraph) return { errors: [new GraphQLError('No supergraph is loaded yet', { extensions: { code: 'SERVICE_UNAVAILABLE' } })] };
    const { document, operation, operationName } = request;
    const rootType = supergraph.schema.getSubscriptionType();
    if (!rootType || operation.operation !== 'subscription') return { errors: [requestError('This schema has no subscription type.', 'GRAPHQL_VALIDATION_FAILED')] };
    const coerced = getVariableValues(supergraph.schema, operation.variableDefinitions ?? [], request.variables ?? {}, { maxErrors: 25 });
    if (coerced.errors) return { errors: coerced.errors.map((error) => new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'BAD_USER_INPUT' } })) };
    let prepared: PreparedOperation;
    try {
      prepared = await this.prepare(supergraph, { document, operationName: operationName ?? null }, operation, rootType, new Map(), planKeyWith(request.queryHash, operationName));
    } catch (error) {
      if (error instanceof GraphQLError) return { errors: [error] };
      return { errors: [new GraphQLError(`The operation could not be planned: ${error instanceof Error ? error.message : String(error)}`, { extensions: { code: ExecutionErrorCode.QUERY_PLANNING_FAILED } })] };
    }
    const node = prepared.plan.node;
    if (node?.kind !== 'Subscription' || prepared.unresolvable) {
      const reason = prepared.unresolvable ? `it selects something no subgraph can resolve: ${prepared.unresolvable}` : 'its plan has no subscription';
      return { errors: [new GraphQLError(`The subscription cannot be run: ${reason}.`, { extensions: { code: ExecutionErrorCode.QUERY_PLANNING_FAILED } })] };
    }
    return { schema: supergraph.schema, node, prepared, variables: coerced.coerced as JsonObject };
  }

  private async execute(requestContext: GatewayRequestContext): Promise<GatewayResult> {
    const supergraph = this.supergraph;
    if (!supergraph) return { errors: [new GraphQLError('No supergraph is loaded yet', { extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } } })] };
    const operation = requestContext.operation;
    const rootType = supergraph.schema.getRootType(operation.operation);
    if (!rootType) {
      return { errors: [requestError(`This schema has no ${operation.operation} type, so it cannot run a ${operation.operation}.`, 'GRAPHQL_VALIDATION_FAILED')] };
    }
    if (operation.operation === 'subscription') {
      return { errors: [requestError('Subscriptions are not served over this transport.', ExecutionErrorCode.OPERATION_NOT_SUPPORTED)] };
    }
    const coerced = getVariableValues(supergraph.schema, operation.variableDefinitions ?? [], requestContext.request.variables ?? {}, { maxErrors: 25 });
    if (coerced.errors) {
      return { errors: coerced.errors.map((error) => new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } })) };
    }
    const variables = coerced.coerced as JsonObject;
    const context = requestContext.context as EngineRequestContext;

    // Progressive override: only the labels of fields this operation selects can change its plan.
    let conditions = new Map<string, boolean>();
    let planKeyBase = requestContext.queryHash;
    if (supergraph.overridden.size) {
      let labels = supergraph.touchedLabels.get(requestContext.document);
      if (!labels) supergraph.touchedLabels.set(requestContext.document, (labels = labelsTouchedBy(requestContext.document, supergraph.overridden)));
      if (labels.length) {
        conditions = chooseOverrideConditions(labels, this.options.enabledOverrideLabels, this.options.random);
        planKeyBase = overridePlanKey(planKeyBase, conditions);
      }
    }

    const run = () => this.run(supergraph, requestContext, operation, rootType, variables, conditions, planKeyBase, context);
    // Streamed responses are never joined: their rest belongs to one connection.
    if (!this.options.deduplicateOperations || operation.operation !== 'query' || context.acceptsIncremental) return run();
    // Same document, plan, variables, caller and delivery: an answer that can be shared without crossing users.
    const key = `${planKeyBase}\0${requestContext.operationName ?? ''}\0${viewerKey(context.viewer)}\0${JSON.stringify(requestContext.request.variables ?? {})}`;
    return this.operations.run(key, run, () => this.options.metrics.deduplicated('operation'));
  }

  private async prepare(
    supergraph: Supergraph,
    requestContext: Pick<GatewayRequestContext, 'document' | 'operationName'>,
    operation: OperationDefinitionNode,
    rootType: NonNullable<ReturnType<GraphQLSchema['getRootType']>>,
    conditions: Map<string, boolean>,
    planKey: string,
  ): Promise<PreparedOperation> {
    const known = supergraph.prepared.get(planKey);
    if (known) {
      this.options.planStore?.countHit?.();
      return known;
    }
    // The plan and the shapes are made from the document with colliding response keys replaced.
    const keys = protectClientKeys(supergraph.schema, requestContext.document);
    const planned = keys.document.definitions[requestContext.document.definitions.indexOf(operation)];
    const plannedOperation = planned?.kind === Kind.OPERATION_DEFINITION ? planned : operation;
    const { plan, extraPlans } = await this.plans(supergraph, keys.document, requestContext.operationName ?? undefined, operation.operation, conditions, planKey);
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of keys.document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    const unresolvable = [plan, ...extraPlans].map((candidate) => unresolvableFetchIn(candidate.node?.kind === 'Subscription' ? candidate.node.rest : candidate.node, supergraph.entities)).find(Boolean);
    const prepared = new PreparedOperation(plan, plannedOperation, fragments, supergraph.schema, rootType, keys.clientKeyOf, unresolvable, extraPlans);
    // A supergraph change while we planned: this one belongs to the old supergraph's cache, which is gone.
    supergraph.prepared.set(planKey, prepared);
    return prepared;
  }

  /**
   * The operation's plan (from the shared plan store when another router made it), repaired where Apollo's
   * planner asks a subgraph for its external fields; a query whose requirements conflict is planned as parts.
   */
  private async plans(
    supergraph: Supergraph,
    document: DocumentNode,
    operationName: string | undefined,
    kind: OperationDefinitionNode['operation'],
    conditions: Map<string, boolean>,
    planKey: string,
  ): Promise<{ plan: QueryPlan; extraPlans: QueryPlan[] }> {
    const planOf = (part: DocumentNode) =>
      withSpan('router.plan', {}, async () =>
        repairExternalSelections(
          supergraph.planner.buildQueryPlan(operationFromDocument(supergraph.apiSchema, part, { operationName }), { overrideConditions: conditions }),
          supergraph.subgraphFields,
        ),
      );
    // Queries only: a mutation split in two would run twice.
    const split = kind === 'query' ? splitConflictingRequirements(supergraph.schema, document, supergraph.requirements) : undefined;
    if (split) {
      const [first = document, ...rest] = split;
      return { plan: await planOf(first), extraPlans: await Promise.all(rest.map(planOf)) };
    }
    const { planStore } = this.options;
    const stored = planStore ? await planStore.get(planKey) : undefined;
    if (stored) return { plan: stored, extraPlans: [] };
    const plan = await planOf(document);
    void planStore?.set(planKey, plan).catch((error: unknown) => this.options.logger.warn({ err: error }, 'could not store a query plan'));
    return { plan, extraPlans: [] };
  }

  private async run(
    supergraph: Supergraph,
    requestContext: GatewayRequestContext,
    operation: OperationDefinitionNode,
    rootType: NonNullable<ReturnType<GraphQLSchema['getRootType']>>,
    variables: JsonObject,
    conditions: Map<string, boolean>,
    planKeyBase: string,
    context: EngineRequestContext,
  ): Promise<GatewayResult> {
    let prepared: PreparedOperation;
    try {
      prepared = await this.prepare(supergraph, requestContext, operation, rootType, conditions, planKeyWith(planKeyBase, requestContext.operationName));
    } catch (error) {
      if (error instanceof GraphQLError) throw error;
      context.logger.warn({ err: error }, 'the operation could not be planned');
      return { data: null, errors: [new GraphQLError(`The operation could not be planned: ${error instanceof Error ? error.message : String(error)}`, { extensions: { code: ExecutionErrorCode.QUERY_PLANNING_FAILED } })] };
    }
    if (prepared.unresolvable) {
      return { data: null, errors: [new GraphQLError(`The operation selects something no subgraph can resolve: ${prepared.unresolvable}.`, { extensions: { code: ExecutionErrorCode.QUERY_PLANNING_FAILED } })] };
    }
    const cachePolicy = requestContext.overallCachePolicy as { restrict(hint: CacheHint): void } | undefined;
    const streaming = prepared.hasDefer && prepared.extraPlans.length === 0 && context.acceptsIncremental === true && context.delivery !== undefined;
    const fetch = this.options.caller.forRequest({ context, operationKind: operation.operation, cachePolicy });
    const execution = new PlanExecution(supergraph.schema, variables, fetch, streaming);
    if (prepared.introspection) {
      const introspected = await executeGraphQL({ schema: supergraph.schema, document: prepared.introspection, variableValues: variables });
      if (isObject(introspected.data)) mergeInto(execution.data, introspected.data);
      for (const error of introspected.errors ?? []) execution.errors.push(error.toJSON());
    }
    const node = prepared.plan.node;
    await withSpan('router.execute', {}, async () => {
      // The parts of a split operation (requirement-conflicts.ts) run side by side, each on its own tree.
      const parts = prepared.extraPlans.map((extra) => ({ extra, execution: new PlanExecution(supergraph.schema, variables, fetch, false) }));
      await Promise.all([
        node && node.kind !== 'Subscription' ? execution.execute(node) : undefined,
        ...parts.map(({ extra, execution: part }) => (extra.node && extra.node.kind !== 'Subscription' ? part.execute(extra.node) : undefined)),
      ]);
      for (const { execution: part } of parts) {
        mergeInto(execution.data, part.data);
        execution.errors.push(...part.errors);
      }
    });

    const errors: GraphQLFormattedError[] = prepared.clientKeyOf.size ? execution.errors.map((error) => withClientPath(error, prepared.clientKeyOf)) : execution.errors;
    const data = shapeResponse(new ShapingRun(errors), prepared.shapeFor(variables, streaming), execution.data);
    const result: GatewayResult = errors.length ? { data, errors: errors.map(toGraphQLError) } : { data };
    if (streaming && execution.deferred.length && context.delivery) {
      // Never cache a response whose rest is still coming.
      cachePolicy?.restrict({ maxAge: 0 });
      context.delivery.incremental = subsequentPayloads(supergraph.schema, prepared, variables, execution.data, execution.deferred);
    }
    return result;
  }
}

function planKeyWith(queryHash: string, operationName: string | null | undefined): string {
  return planKeyOf(queryHash, operationName, sha256);
}

function sha256(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/** An executor error with the internal response keys of its path turned back into the client's. */
export function withClientPath(error: GraphQLFormattedError, clientKeyOf: ReadonlyMap<string, string>): GraphQLFormattedError {
  return error.path ? { ...error, path: clientPath(error.path, clientKeyOf) } : error;
}

/** Apollo Server formats what the executor returns; errors keep the path, code and serviceName they were given. */
function toGraphQLError(error: GraphQLFormattedError): GraphQLError {
  return new GraphQLError(error.message, { path: error.path, extensions: error.extensions });
}
