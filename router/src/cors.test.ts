import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { ConfigError } from '@storefront/config';
import { createLogger } from '@storefront/telemetry';
import { compose } from '@storefront/schema';
import { parse } from 'graphql';
import { loadRouterAuthConfig } from './auth/index.ts';
import { loadRouterConfig, type RouterConfig } from './config.ts';
import { corsConfigFrom, DEVELOPMENT_CORS_ORIGINS } from './cors-config.ts';
import { startRouter, type RunningRouter } from './router.ts';
import { testRouterConfig } from './test-config.ts';

/*
 * Browsers on another origin (Apollo's hosted Sandbox, a frontend on its own host) calling the real router
 * over HTTP: preflights, the CORS headers of actual responses, refused origins, and CSRF prevention beside it.
 */

const silent = createLogger({ service: 'cors-test', level: 'silent' });
const SANDBOX = 'https://studio.apollographql.com';
const FRONTEND = 'https://shop.example.com';
const ELSEWHERE = 'https://evil.example.net';

let subgraph: ApolloServer;
let workdir: string;
let supergraphFile: string;

beforeAll(async () => {
  const sdl = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
    type Query { greeting: String! }`;
  subgraph = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: { Query: { greeting: () => 'hello' } } }),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  const { url } = await startStandaloneServer(subgraph, { listen: { port: 0, host: '127.0.0.1' } });
  workdir = await mkdtemp(path.join(tmpdir(), 'cors-test-'));
  supergraphFile = path.join(workdir, 'supergraph.graphql');
  const result = compose([{ name: 'greetings', url, sdl }]);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  await writeFile(supergraphFile, result.supergraphSdl);
});

afterAll(async () => {
  await subgraph?.stop();
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

async function routerWith(overrides: Partial<RouterConfig> = {}): Promise<RunningRouter> {
  const router = await startRouter(testRouterConfig(supergraphFile, overrides), silent);
  const deadline = Date.now() + 10_000;
  while (!router.isLoaded()) {
    if (Date.now() > deadline) throw new Error('supergraph not loaded');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return router;
}

/** What a browser sends before a cross-origin JSON POST with a bearer token. */
const preflight = (router: RunningRouter, origin: string, extra: Record<string, string> = {}) =>
  fetch(router.url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization', ...extra },
  });

const postFrom = (router: RunningRouter, origin: string) =>
  fetch(router.url, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ greeting }' }) });

const CORS_HEADERS = ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-methods', 'access-control-allow-headers'];

describe('the default origins outside production', () => {
  let router: RunningRouter;
  beforeAll(async () => {
    router = await routerWith();
  });
  afterAll(() => router?.close());

  it("answers the hosted Sandbox's preflight with 204 and what it may send", async () => {
    const response = await preflight(router, SANDBOX, { 'access-control-request-private-network': 'true' });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(SANDBOX);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST');
    const allowed = response.headers.get('access-control-allow-headers')?.split(', ');
    expect(allowed).toEqual(
      expect.arrayContaining([
        'content-type',
        'authorization',
        'apollo-require-preflight',
        'x-apollo-operation-name',
        'x-request-id',
        'apollographql-client-name',
        'apollographql-client-version',
      ]),
    );
    expect(Number(response.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
    expect(response.headers.get('access-control-allow-private-network')).toBe('true');
    expect(await response.text()).toBe('');
  });

  it('lets the cross-origin query through with the headers a browser needs to read it', async () => {
    const response = await postFrom(router, SANDBOX);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { greeting: 'hello' } });
    expect(response.headers.get('access-control-allow-origin')).toBe(SANDBOX);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-expose-headers')).toMatch(/x-request-id/);
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  it('allows every development origin', async () => {
    for (const origin of DEVELOPMENT_CORS_ORIGINS) {
      expect((await preflight(router, origin)).headers.get('access-control-allow-origin')).toBe(origin);
    }
  });

  it("refuses another origin's preflight with 403 and a code, and adds no CORS headers to its requests", async () => {
    const refused = await preflight(router, ELSEWHERE);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ errors: [{ extensions: { code: 'CORS_ORIGIN_NOT_ALLOWED' } }] });
    for (const name of CORS_HEADERS) expect(refused.headers.get(name)).toBeNull();
    const answered = await postFrom(router, ELSEWHERE);
    // Not a browser's request (it would not send it after the refused preflight): answered, but readable by nobody in a browser.
    expect(answered.status).toBe(200);
    for (const name of CORS_HEADERS) expect(answered.headers.get(name)).toBeNull();
    expect(answered.headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  it('keeps CSRF prevention: a simple cross-site GET without a preflight-forcing header is still refused', async () => {
    const query = encodeURIComponent('{ greeting }');
    const simple = await fetch(`${router.url}?query=${query}`, { headers: { origin: SANDBOX } });
    expect(simple.status).toBe(400);
    expect(await simple.text()).toMatch(/Cross-Site Request Forgery/);
    const forced = await fetch(`${router.url}?query=${query}`, { headers: { origin: SANDBOX, 'apollo-require-preflight': 'true' } });
    expect(forced.status).toBe(200);
    expect(forced.headers.get('access-control-allow-origin')).toBe(SANDBOX);
  });
});

describe('configured origins', () => {
  it('in production allows only the listed origins; with none listed, no origin', async () => {
    const production = { nodeEnv: 'production' as const, auth: loadRouterAuthConfig({ NODE_ENV: 'test' }) };
    const listed = await routerWith({ ...production, cors: { allowedOrigins: [FRONTEND] } });
    try {
      expect((await preflight(listed, FRONTEND)).headers.get('access-control-allow-origin')).toBe(FRONTEND);
      expect((await preflight(listed, SANDBOX)).status).toBe(403);
    } finally {
      await listed.close();
    }
    const unlisted = await routerWith(production);
    try {
      expect((await preflight(unlisted, SANDBOX)).status).toBe(403);
      expect((await preflight(unlisted, 'http://localhost:5173')).status).toBe(403);
    } finally {
      await unlisted.close();
    }
  });

  it('with `*` allows any origin without credentials, and listed ones with them', async () => {
    const router = await routerWith({ cors: { allowedOrigins: ['*', FRONTEND] } });
    try {
      const any = await preflight(router, ELSEWHERE);
      expect(any.status).toBe(204);
      expect(any.headers.get('access-control-allow-origin')).toBe('*');
      expect(any.headers.get('access-control-allow-credentials')).toBeNull();
      const listed = await postFrom(router, FRONTEND);
      expect(listed.headers.get('access-control-allow-origin')).toBe(FRONTEND);
      expect(listed.headers.get('access-control-allow-credentials')).toBe('true');
    } finally {
      await router.close();
    }
  });
});

describe('CORS_ORIGINS', () => {
  it('defaults to the development origins outside production and to none in production', () => {
    expect(loadRouterConfig({}, []).cors).toEqual({ allowedOrigins: DEVELOPMENT_CORS_ORIGINS });
    expect(loadRouterConfig({ NODE_ENV: 'test' }, []).cors).toEqual({ allowedOrigins: DEVELOPMENT_CORS_ORIGINS });
    // A whole production config needs production keys; the CORS part alone is enough here.
    expect(corsConfigFrom({ NODE_ENV: 'production', CORS_ORIGINS: undefined })).toEqual({ allowedOrigins: [] });
    expect(corsConfigFrom({ NODE_ENV: 'production', CORS_ORIGINS: [FRONTEND] })).toEqual({ allowedOrigins: [FRONTEND] });
  });

  it('takes a comma-separated list, and an empty one as no cross-origin calls', () => {
    expect(loadRouterConfig({ CORS_ORIGINS: ' https://shop.example.com, http://localhost:3000 ' }, []).cors).toEqual({
      allowedOrigins: ['https://shop.example.com', 'http://localhost:3000'],
    });
    expect(loadRouterConfig({ CORS_ORIGINS: '' }, []).cors).toEqual({ allowedOrigins: [] });
  });

  it('refuses at start-up what is not an origin', () => {
    for (const bad of ['shop.example.com', 'https://shop.example.com/', 'https://shop.example.com/app', 'ftp://files.example.com', 'null']) {
      expect(() => loadRouterConfig({ CORS_ORIGINS: `https://ok.example.com,${bad}` }, [])).toThrow(ConfigError);
    }
    expect(() => loadRouterConfig({ CORS_ORIGINS: 'https://shop.example.com/' }, [])).toThrow(/CORS_ORIGINS: "https:\/\/shop.example.com\/" is not an origin/);
  });
});
