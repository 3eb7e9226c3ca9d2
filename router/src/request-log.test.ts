import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { serveSubgraph } from '@storefront/subgraph-runtime';
import { type RequestContext, type RunningHttpServer } from '@storefront/http-host';
import { routerTrustFromEnv } from '@storefront/identity';
import { createLogger } from '@storefront/telemetry';
import { compose } from '@storefront/schema';
import { parse } from 'graphql';
import { startRouter, type RunningRouter } from './router.ts';
import { testRouterConfig } from './test-config.ts';

/*
 * The one JSON line per GraphQL request the docs promise, at LOG_LEVEL=info, from the router and from a
 * subgraph served by the shared plumbing (serveSubgraph), joined by the request id; probes log nothing.
 */

type Line = Record<string, unknown>;

/** An info-level JSON logger whose lines land in an array. */
function capturingLogger(service: string) {
  const lines: Line[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Line);
      done();
    },
  });
  return { logger: createLogger({ service, level: 'info', destination }), lines };
}

const requestLines = (lines: Line[]) => lines.filter((line) => line.msg === 'graphql request');

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])';
const PLANETS_SDL = `${LINK}
  type Query { planets: [Planet!]! }
  type Planet @key(fields: "id") { id: ID! name: String! }`;
const MOONS_SDL = `${LINK}
  type Planet @key(fields: "id") { id: ID! moons: [String!]! }`;
const PLANETS = [
  { id: 'p3', name: 'Earth' },
  { id: 'p4', name: 'Mars' },
];
const MOONS: Record<string, string[]> = { p3: ['Moon'], p4: ['Phobos', 'Deimos'] };

async function subgraph(name: string, sdl: string, resolvers: Record<string, unknown>, logger: ReturnType<typeof createLogger>): Promise<RunningHttpServer> {
  return serveSubgraph<RequestContext>(
    {
      name,
      typeDefs: parse(sdl),
      resolvers: resolvers as never,
      context: ({ requestId, logger: log, viewer }) => ({ requestId, logger: log, viewer }),
      checkReady: async () => undefined,
      release: async () => undefined,
    },
    { nodeEnv: 'test', host: '127.0.0.1', port: 0, maxBodyBytes: 100_000, trustedSigners: routerTrustFromEnv(name, undefined, 'test') },
    logger,
  );
}

const routerLog = capturingLogger('router');
const planetsLog = capturingLogger('planets');
const moonsLog = capturingLogger('moons');
let planets: RunningHttpServer;
let moons: RunningHttpServer;
let router: RunningRouter;
let workdir: string;

beforeAll(async () => {
  planets = await subgraph(
    'planets',
    PLANETS_SDL,
    { Query: { planets: () => PLANETS }, Planet: { __resolveReference: ({ id }: { id: string }) => PLANETS.find((planet) => planet.id === id) } },
    planetsLog.logger,
  );
  moons = await subgraph(
    'moons',
    MOONS_SDL,
    { Planet: { __resolveReference: ({ id }: { id: string }) => ({ id }), moons: ({ id }: { id: string }) => MOONS[id] ?? [] } },
    moonsLog.logger,
  );
  workdir = await mkdtemp(path.join(tmpdir(), 'request-log-test-'));
  const supergraphFile = path.join(workdir, 'supergraph.graphql');
  const result = compose([
    { name: 'planets', url: planets.url, sdl: PLANETS_SDL },
    { name: 'moons', url: moons.url, sdl: MOONS_SDL },
  ]);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  await writeFile(supergraphFile, result.supergraphSdl);
  // Caches and deduplication off: every request's fetches are its own.
  router = await startRouter(testRouterConfig(supergraphFile, { logLevel: 'info' }), routerLog.logger);
  while (!router.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 20));
});

afterAll(async () => {
  await router?.close();
  await Promise.all([planets?.close(), moons?.close()]);
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

beforeEach(() => {
  for (const { lines } of [routerLog, planetsLog, moonsLog]) lines.length = 0;
});

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(router.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

/** The response is sent before the 'finish' event that logs it: wait for the line rather than race it. */
async function linesOf(lines: Line[], count: number): Promise<Line[]> {
  const deadline = Date.now() + 5_000;
  while (requestLines(lines).length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return requestLines(lines);
}

describe('one log line per GraphQL request, at info', () => {
  it('from the router: operation, status, duration, ids and the subgraphs it called; and from each subgraph, under the same ids', async () => {
    const query = 'query PlanetsWithMoons { planets { name moons } }';
    const response = await post(JSON.stringify({ query, operationName: 'PlanetsWithMoons' }), {
      'x-request-id': 'req-log-1',
      traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { planets: [{ name: 'Earth', moons: ['Moon'] }, { name: 'Mars', moons: ['Phobos', 'Deimos'] }] } });

    const [line, ...more] = await linesOf(routerLog.lines, 1);
    expect(more).toEqual([]);
    expect(line).toEqual(
      expect.objectContaining({
        level: 30,
        service: 'router',
        requestId: 'req-log-1',
        traceId: TRACE_ID,
        method: 'POST',
        status: 200,
        durationMs: expect.any(Number),
        operationName: 'PlanetsWithMoons',
        operationType: 'query',
        subgraphs: { planets: 1, moons: 1 },
      }),
    );
    expect(line).not.toHaveProperty('errorCodes');

    for (const [log, service] of [
      [planetsLog, 'planets'],
      [moonsLog, 'moons'],
    ] as const) {
      const subgraphLines = await linesOf(log.lines, 1);
      expect(subgraphLines).toEqual([
        expect.objectContaining({ level: 30, service, requestId: 'req-log-1', traceId: TRACE_ID, method: 'POST', status: 200, durationMs: expect.any(Number), operationType: 'query' }),
      ]);
      expect(subgraphLines[0]).not.toHaveProperty('subgraphs');
    }
  });

  it('for requests that fail or are refused too, with their status and error codes', async () => {
    expect((await post('{"query": "{ planets { nope } }"}', { 'x-request-id': 'req-log-2' })).status).toBe(400);
    expect((await post('{ not json', { 'x-request-id': 'req-log-3' })).status).toBe(400);
    const lines = await linesOf(routerLog.lines, 2);
    expect(lines).toEqual([
      expect.objectContaining({ requestId: 'req-log-2', status: 400, errorCodes: ['GRAPHQL_VALIDATION_FAILED'], subgraphs: {} }),
      expect.objectContaining({ requestId: 'req-log-3', status: 400, method: 'POST' }),
    ]);
    // Refused before GraphQL ran: no operation to name.
    expect(lines[1]).not.toHaveProperty('operationType');
    expect(requestLines(planetsLog.lines)).toEqual([]);
  });

  it('and none for health, readiness and metrics probes', async () => {
    const origin = new URL(router.url).origin;
    for (const server of [origin, new URL(planets.url).origin]) {
      for (const probe of ['/health', '/ready', '/metrics']) expect((await fetch(`${server}${probe}`)).status).toBe(200);
    }
    // A GraphQL request afterwards, so the probes' lines (if any) would have been written by now.
    await post('{"query": "{ planets { name } }"}');
    const lines = await linesOf(routerLog.lines, 1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ operationType: 'query', subgraphs: { planets: 1 } });
    expect(await linesOf(planetsLog.lines, 1)).toHaveLength(1);
  });
});
