import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createLogger } from '@storefront/telemetry';
import { compose } from '@storefront/schema';
import { parse } from 'graphql';
import type { RouterConfig } from './config.ts';
import { testRouterConfig } from './test-config.ts';
import { chooseOverrideConditions, labelsTouchedBy, overriddenFieldsOf, overrideLabelsOf, overrideVariants } from './progressive-override.ts';
import { startRouter, type RunningRouter } from './router.ts';

/*
 * A field moving from "legacy" to "modern" with progressive @override, on subgraphs unrelated to the store.
 * Each subgraph answers with its own name, so the response shows who resolved the field.
 */

const silent = createLogger({ service: 'router-test', level: 'silent' });
const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@override"])';

async function subgraph(sdl: string, resolvers: Record<string, unknown>) {
  const server = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: resolvers as never }),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return { url, stop: () => server.stop() };
}

function supergraph(label: string, legacyUrl: string, modernUrl: string): string {
  const result = compose([
    {
      name: 'legacy',
      url: legacyUrl,
      sdl: `${LINK} type Query { items: [Item!]! } type Item @key(fields: "id") { id: ID! source: String! }`,
    },
    {
      name: 'modern',
      url: modernUrl,
      sdl: `${LINK} type Item @key(fields: "id") { id: ID! source: String! @override(from: "legacy", label: "${label}") }`,
    },
  ]);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.supergraphSdl;
}

const items = [{ id: '1' }, { id: '2' }];
let legacy: Awaited<ReturnType<typeof subgraph>>;
let modern: Awaited<ReturnType<typeof subgraph>>;
let workdir: string;

beforeAll(async () => {
  legacy = await subgraph(`${LINK} type Query { items: [Item!]! } type Item @key(fields: "id") { id: ID! source: String! }`, {
    Query: { items: () => items },
    Item: { __resolveReference: ({ id }: { id: string }) => ({ id }), source: () => 'legacy' },
  });
  modern = await subgraph(`${LINK} type Item @key(fields: "id") { id: ID! source: String! @override(from: "legacy", label: "x") }`, {
    Item: { __resolveReference: ({ id }: { id: string }) => ({ id }), source: () => 'modern' },
  });
  workdir = await mkdtemp(path.join(tmpdir(), 'override-test-'));
});

afterAll(async () => {
  await legacy?.stop();
  await modern?.stop();
  await rm(workdir, { recursive: true, force: true });
});

async function routerFor(label: string, overrides: Partial<RouterConfig> = {}): Promise<RunningRouter> {
  const file = path.join(workdir, `${label.replace(/\W/g, '_')}.graphql`);
  await writeFile(file, supergraph(label, legacy.url, modern.url));
  const router = await startRouter(
    testRouterConfig(file, overrides),
    silent,
  );
  while (!router.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 20));
  return router;
}

async function sources(router: RunningRouter, requests: number): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < requests; i += 1) {
    const response = await fetch(router.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ items { id source } }' }),
    });
    const body = (await response.json()) as { data: { items: Array<{ source: string }> } };
    // Within one request every item comes from the same subgraph: the label is decided once per request.
    expect(new Set(body.data.items.map((item) => item.source)).size).toBe(1);
    seen.push(body.data.items[0]?.source ?? 'none');
  }
  return seen;
}

describe('choosing override labels', () => {
  it('finds the labels a supergraph uses', () => {
    expect(overrideLabelsOf(supergraph('percent(25)', 'http://a/graphql', 'http://b/graphql'))).toEqual(['percent(25)']);
  });

  it('only lets labels of fields an operation selects decide its plan', () => {
    const overridden = overriddenFieldsOf(supergraph('percent(25)', 'http://a/graphql', 'http://b/graphql'));
    expect(labelsTouchedBy(parse('{ items { id source } }'), overridden)).toEqual(['percent(25)']);
    expect(labelsTouchedBy(parse('{ items { id } }'), overridden)).toEqual([]);
  });

  it('lists every way a request can plan: percent labels both ways, named labels as configured', () => {
    const variants = overrideVariants(['percent(10)', 'canary'], new Set(['canary']));
    expect(variants.map((v) => Object.fromEntries(v.conditions))).toEqual([
      { 'percent(10)': false, canary: true },
      { 'percent(10)': true, canary: true },
    ]);
    expect(variants[0]!.planKey('h')).not.toBe('h');
    expect(overrideVariants([], new Set())[0]!.planKey('h')).toBe('h');
  });

  it('turns percent labels on with their probability and other labels only when configured', () => {
    const labels = ['percent(30)', 'canary'];
    const rolls = [0.29, 0.31];
    expect(chooseOverrideConditions(labels, new Set(), () => rolls[0] ?? 0)).toEqual(new Map([['percent(30)', true], ['canary', false]]));
    expect(chooseOverrideConditions(labels, new Set(['canary']), () => rolls[1] ?? 0)).toEqual(new Map([['percent(30)', false], ['canary', true]]));
  });
});

describe('the router honours progressive @override', () => {
  it('sends a share of requests to the new subgraph for percent(50), the rest to the old one', async () => {
    const router = await routerFor('percent(50)');
    try {
      const seen = await sources(router, 60);
      // Each request is a fair coin; all 60 on one side has probability 2^-59.
      expect(seen).toContain('legacy');
      expect(seen).toContain('modern');
    } finally {
      await router.close();
    }
  });

  it('keeps percent(0) on the old subgraph and percent(100) on the new one', async () => {
    for (const [label, expected] of [['percent(0)', 'legacy'], ['percent(100)', 'modern']] as const) {
      const router = await routerFor(label);
      try {
        expect(new Set(await sources(router, 10))).toEqual(new Set([expected]));
      } finally {
        await router.close();
      }
    }
  });

  it('moves a field with a named label only when OVERRIDE_LABELS turns it on', async () => {
    const off = await routerFor('use-modern');
    try {
      expect(new Set(await sources(off, 5))).toEqual(new Set(['legacy']));
    } finally {
      await off.close();
    }
    const on = await routerFor('use-modern', { overrideLabels: ['use-modern'] });
    try {
      expect(new Set(await sources(on, 5))).toEqual(new Set(['modern']));
    } finally {
      await on.close();
    }
  });
});
