import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { execute, parse, validate, type GraphQLSchema } from 'graphql';
import { startRouter, type RunningRouter } from '../../router/src/router.ts';
import { testRouterConfig } from '../../router/src/test-config.ts';
import { sleep, type CaseGroup, type ExpectedError, type FederationCase, type Operation, type SubgraphDefinition, type World } from './case.ts';

/*
 * The federation conformance harness: each case is a small supergraph of in-process subgraphs (graphql-js over
 * buildSubgraphSchema, served over real HTTP on 127.0.0.1) and operations with the response a correct federated
 * execution gives. Every operation runs against two engines: plain @apollo/gateway, and this project's router.
 */

// ---------------------------------------------------------------------------------------------------------------
// Subgraphs over HTTP

export type EngineName = 'router' | '@apollo/gateway';
export const ENGINES: EngineName[] = ['router', '@apollo/gateway'];
const enginePath = (engine: EngineName) => (engine === 'router' ? '/router' : '/gateway');

export interface RecordedRequest {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

interface EngineSide {
  world: World;
  requests: Map<string, RecordedRequest[]>;
}

/**
 * The case's subgraphs, each on its own port, each serving every engine on its own path (/router, /gateway) so
 * that the engines' requests and worlds never mix.
 */
export class SubgraphFleet {
  private readonly servers: Server[] = [];
  private readonly urls = new Map<string, string>();
  private readonly sides = new Map<EngineName, EngineSide>(ENGINES.map((engine) => [engine, { world: freshWorld(), requests: new Map() }]));

  static async start(subgraphs: SubgraphDefinition[]): Promise<SubgraphFleet> {
    const fleet = new SubgraphFleet();
    try {
      for (const subgraph of subgraphs) await fleet.serve(subgraph);
    } catch (error) {
      await fleet.close();
      throw error;
    }
    return fleet;
  }

  url(subgraph: string, engine: EngineName): string {
    return `${this.urls.get(subgraph)}${enginePath(engine)}`;
  }

  /** A fresh world and empty request logs for `engine`, before each operation. */
  reset(engine: EngineName): World {
    const side = this.side(engine);
    side.world = freshWorld();
    side.requests.clear();
    return side.world;
  }

  world(engine: EngineName): World {
    return this.side(engine).world;
  }

  requests(engine: EngineName, subgraph: string): RecordedRequest[] {
    return this.side(engine).requests.get(subgraph) ?? [];
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
  }

  private side(engine: EngineName): EngineSide {
    return this.sides.get(engine)!;
  }

  private async serve(subgraph: SubgraphDefinition): Promise<void> {
    const schema = buildSubgraphSchema({ typeDefs: parse(subgraph.typeDefs), resolvers: (subgraph.resolvers ?? {}) as never });
    const server = createServer((req, res) => {
      const engine = ENGINES.find((candidate) => req.url === enginePath(candidate));
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (!engine || req.method !== 'POST') return reply(404, { errors: [{ message: `no ${req.method} ${req.url} here` }] });
      readBody(req)
        .then(async (text) => {
          const request = JSON.parse(text) as RecordedRequest;
          const side = this.side(engine);
          const log = side.requests.get(subgraph.name) ?? [];
          log.push(request);
          side.requests.set(subgraph.name, log);
          if (subgraph.unavailable) {
            res.writeHead(503, { 'content-type': 'text/plain' });
            return res.end('down for maintenance');
          }
          reply(200, await executeSubgraph(schema, request, side.world));
        })
        .catch((error: Error) => reply(400, { errors: [{ message: error.message }] }));
    });
    this.servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.urls.set(subgraph.name, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
}

const freshWorld = (): World => ({ effects: [], state: {} });

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** What a subgraph answers: a request the engine built wrongly is refused like any real subgraph would. */
async function executeSubgraph(schema: GraphQLSchema, request: RecordedRequest, world: World) {
  let document;
  try {
    document = parse(request.query);
  } catch (error) {
    return { errors: [{ message: (error as Error).message, extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] };
  }
  const invalid = validate(schema, document);
  if (invalid.length) return { errors: invalid.map((error) => ({ ...error.toJSON(), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })) };
  const result = await execute({ schema, document, variableValues: request.variables, operationName: request.operationName, contextValue: world });
  return { ...(result.errors ? { errors: result.errors.map((error) => error.toJSON()) } : {}), ...(result.data !== undefined ? { data: result.data } : {}) };
}

// ---------------------------------------------------------------------------------------------------------------
// Composition

export function composeCase(subgraphs: SubgraphDefinition[], url: (subgraph: string) => string): string {
  const result = composeServices(subgraphs.map((subgraph) => ({ name: subgraph.name, typeDefs: parse(subgraph.typeDefs), url: url(subgraph.name) })));
  if (result.errors) throw new Error(`composition failed:\n${result.errors.map((error) => `  - ${error.message}`).join('\n')}`);
  return result.supergraphSdl;
}

// ---------------------------------------------------------------------------------------------------------------
// Engines

export interface GraphQLResponse {
  data?: unknown;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export interface Engine {
  run(operation: Pick<Operation, 'query' | 'variables' | 'operationName'>): Promise<GraphQLResponse>;
  close(): Promise<void>;
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** Plain @apollo/gateway inside @apollo/server, calling the subgraphs at the supergraph's routing URLs. */
export async function startGateway(supergraphSdl: string): Promise<Engine> {
  const gateway = new ApolloGateway({ supergraphSdl, buildService: ({ url }) => new RemoteGraphQLDataSource({ url }), logger: quiet });
  const server = new ApolloServer({ gateway, logger: quiet, includeStacktraceInErrorResponses: false });
  await server.start();
  return {
    async run({ query, variables, operationName }) {
      const response = await server.executeOperation({ query, variables, operationName });
      if (response.body.kind !== 'single') throw new Error('@apollo/gateway answered with an incremental response');
      return JSON.parse(JSON.stringify(response.body.singleResult)) as GraphQLResponse;
    },
    close: () => server.stop(),
  };
}

/** An engine that would not load the case's supergraph: every operation gets the reason, as a request error. */
function refusingEngine(error: unknown): Engine {
  const message = `refused the supergraph: ${error instanceof Error ? error.message : String(error)}`;
  return { run: async () => ({ errors: [{ message, extensions: { code: 'SUPERGRAPH_REFUSED' } }] }), close: async () => undefined };
}

/** This project's router over the supergraph in a temporary file, with each subgraph's URL overridden. */
export async function startProjectRouter(supergraphSdl: string, subgraphUrls: Record<string, string>): Promise<Engine> {
  const dir = await mkdtemp(path.join(tmpdir(), 'federation-case-'));
  const file = path.join(dir, 'supergraph.graphql');
  await writeFile(file, supergraphSdl);
  let router: RunningRouter | undefined;
  try {
    router = await startRouter(testRouterConfig(file, { subgraphUrls }));
    const deadline = Date.now() + 20_000;
    while (!router.isLoaded()) {
      if (Date.now() > deadline) throw new Error('the router did not load the supergraph within 20 s');
      await sleep(10);
    }
  } catch (error) {
    await router?.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const running = router;
  return {
    async run({ query, variables, operationName }) {
      const response = await fetch(running.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query, variables, operationName }),
      });
      const text = await response.text();
      try {
        return JSON.parse(text) as GraphQLResponse;
      } catch {
        throw new Error(`the router answered HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
      }
    },
    close: async () => {
      await running.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Comparing responses

const ANY_PATH = '(any path)' as const;

export interface NormalizedError {
  path: (string | number)[] | null | typeof ANY_PATH;
  code?: unknown;
  serviceName?: unknown;
}

const byPath = (a: { path?: unknown }, b: { path?: unknown }) => JSON.stringify(a.path ?? null).localeCompare(JSON.stringify(b.path ?? null));

/**
 * Errors reduced to what conformance is about: each one's path, and its code and serviceName where the expected
 * error names them; both lists in path order (engines report errors in different orders). Messages never count.
 */
export function normalizeErrors(actual: GraphQLResponse['errors'], expected: ExpectedError[] | undefined): { actual: NormalizedError[]; expected: NormalizedError[] } {
  const wanted = [...(expected ?? [])].sort(byPath).map((error) => ({
    path: error.anyPath ? ANY_PATH : (error.path ?? null),
    ...(error.code !== undefined ? { code: error.code } : {}),
    ...(error.serviceName !== undefined ? { serviceName: error.serviceName } : {}),
  }));
  const got = [...(actual ?? [])].sort(byPath).map((error, index) => {
    const like = wanted[index];
    return {
      path: like?.path === ANY_PATH ? ANY_PATH : (error.path ?? null),
      // An error with no counterpart shows everything it has.
      ...(!like || 'code' in like ? { code: error.extensions?.code } : {}),
      ...(!like || 'serviceName' in like ? { serviceName: error.extensions?.serviceName } : {}),
    };
  });
  return { actual: got, expected: wanted };
}

export interface Observed {
  response: GraphQLResponse;
  effects: string[];
  calls: Record<string, number>;
}

/** The comparable parts of what an engine did and of what the operation expects, side by side. */
export function comparable(observed: Observed, operation: Operation) {
  const errors = normalizeErrors(observed.response.errors, operation.expected.errors);
  const actual = {
    data: observed.response.data,
    errors: errors.actual,
    ...(operation.effects ? { effects: observed.effects } : {}),
    ...(operation.calls ? { calls: Object.fromEntries(Object.keys(operation.calls).map((name) => [name, observed.calls[name] ?? 0])) } : {}),
  };
  const expected = {
    data: operation.expected.data,
    errors: errors.expected,
    ...(operation.effects ? { effects: operation.effects } : {}),
    ...(operation.calls ? { calls: operation.calls } : {}),
  };
  return { actual, expected };
}

/**
 * GraphQL orders a response's keys as the operation selects them; JSON text keeps the order, so equal data in
 * a different order shows here.
 */
export const keyOrder = (data: unknown) => JSON.stringify(data);

export function conforms(observed: Observed, operation: Operation): boolean {
  const { actual, expected } = comparable(observed, operation);
  return isDeepStrictEqual(JSON.parse(JSON.stringify(actual)), JSON.parse(JSON.stringify(expected))) && keyOrder(actual.data) === keyOrder(expected.data);
}

// ---------------------------------------------------------------------------------------------------------------
// Running a case

export interface RunningCase {
  fleet: SubgraphFleet;
  engines: Map<EngineName, Engine>;
  run(engine: EngineName, operation: Operation): Promise<Observed>;
  close(): Promise<void>;
}

export async function startCase(testCase: FederationCase): Promise<RunningCase> {
  const fleet = await SubgraphFleet.start(testCase.subgraphs);
  const engines = new Map<EngineName, Engine>();
  const close = async () => {
    await Promise.all([...engines.values()].map((engine) => engine.close()));
    await fleet.close();
  };
  try {
    const supergraphSdl = composeCase(testCase.subgraphs, (name) => fleet.url(name, '@apollo/gateway'));
    const routerUrls = Object.fromEntries(testCase.subgraphs.map((subgraph) => [subgraph.name.toLowerCase(), fleet.url(subgraph.name, 'router')]));
    const [router, gateway] = await Promise.all([startProjectRouter(supergraphSdl, routerUrls), startGateway(supergraphSdl).catch(refusingEngine)]);
    engines.set('router', router);
    engines.set('@apollo/gateway', gateway);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    fleet,
    engines,
    async run(engineName, operation) {
      const world = fleet.reset(engineName);
      const response = await engines.get(engineName)!.run(operation);
      const calls = Object.fromEntries(testCase.subgraphs.map((subgraph) => [subgraph.name, fleet.requests(engineName, subgraph.name).length]));
      return { response, effects: [...world.effects], calls };
    },
    close,
  };
}

/** Registers jest tests for each case × operation × engine (see the README). */
export function describeCases(group: CaseGroup): void {
  describe(group.feature, () => {
    for (const testCase of group.cases) {
      describe(testCase.name, () => {
        let running: RunningCase | undefined;
        let failure: Error | undefined;
        beforeAll(async () => {
          try {
            running = await startCase(testCase);
          } catch (error) {
            failure = error as Error;
          }
        });
        afterAll(() => running?.close());

        for (const operation of testCase.operations) {
          it(`router: ${operation.name}${operation.routerDiffers ? ' (known to differ)' : ''}`, async () => {
            if (failure) throw failure;
            const observed = await running!.run('router', operation);
            if (operation.routerDiffers) {
              expect({ conforms: conforms(observed, operation), observed: comparable(observed, operation).actual }).toMatchObject({ conforms: false });
              return;
            }
            const { actual, expected } = comparable(observed, operation);
            expect(actual).toEqual(expected);
            expect(keyOrder(actual.data)).toBe(keyOrder(expected.data));
          });
          const differs = operation.gatewayDiffers ?? testCase.gatewayDiffers;
          it(`@apollo/gateway: ${operation.name}${differs ? ' (known to differ)' : ''}`, async () => {
            if (failure) throw failure;
            const observed = await running!.run('@apollo/gateway', operation);
            if (differs) {
              // The known-differences list stays honest: once the gateway gets it right, this fails.
              expect({ conforms: conforms(observed, operation), observed: comparable(observed, operation).actual }).toMatchObject({ conforms: false });
            } else {
              const { actual, expected } = comparable(observed, operation);
              expect(actual).toEqual(expected);
              expect(keyOrder(actual.data)).toBe(keyOrder(expected.data));
            }
          });
        }
      });
    }
  });
}
