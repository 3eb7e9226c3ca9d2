import { ConfigError } from '@storefront/config';
import { DEFAULT_SUBGRAPH_TIMEOUT_MS, DEFAULT_SUPERGRAPH_PATH, loadRouterConfig } from './config.ts';

describe('loadRouterConfig', () => {
  it('has local-development defaults', () => {
    const config = loadRouterConfig({}, []);
    expect(config).toMatchObject({ port: 4000, host: '0.0.0.0', supergraphPath: DEFAULT_SUPERGRAPH_PATH, nodeEnv: 'development', subgraphUrls: {} });
  });

  it('lets command-line flags override the environment', () => {
    const config = loadRouterConfig({ PORT: '5000', SUPERGRAPH_PATH: '/env.graphql' }, ['--port', '6000', '--supergraph', '/flag.graphql', '--host', '127.0.0.1']);
    expect(config).toMatchObject({ port: 6000, supergraphPath: '/flag.graphql', host: '127.0.0.1' });
  });

  it('collects subgraph URL overrides by name', () => {
    const config = loadRouterConfig({ SUBGRAPH_CATALOG_URL: 'http://catalog:4002/graphql', SUBGRAPH_ORDER_HISTORY_URL: 'https://x/graphql' }, []);
    expect(config.subgraphUrls).toEqual({ catalog: 'http://catalog:4002/graphql', order_history: 'https://x/graphql' });
  });

  it('reports every invalid variable at once', () => {
    expect(() => loadRouterConfig({ PORT: 'eighty', NODE_ENV: 'staging' }, [])).toThrow(ConfigError);
    try {
      loadRouterConfig({ PORT: 'eighty', NODE_ENV: 'staging' }, []);
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^NODE_ENV/), expect.stringMatching(/^PORT/)]);
    }
  });

  it('rejects a subgraph URL that is not http(s)', () => {
    expect(() => loadRouterConfig({ SUBGRAPH_CATALOG_URL: 'catalog:4002' }, [])).toThrow(/SUBGRAPH_CATALOG_URL/);
  });

  it('gives every subgraph call a deadline well under 10 s, and particular subgraphs their own', () => {
    expect(loadRouterConfig({}, []).subgraphTimeoutMs).toBe(DEFAULT_SUBGRAPH_TIMEOUT_MS);
    expect(DEFAULT_SUBGRAPH_TIMEOUT_MS).toBeLessThanOrEqual(5_000);
    const config = loadRouterConfig({ SUBGRAPH_TIMEOUT_MS: '2000', SUBGRAPH_PAYMENTS_TIMEOUT_MS: '8000', SUBGRAPH_ORDER_HISTORY_TIMEOUT_MS: '500' }, []);
    expect(config.subgraphTimeoutMs).toBe(2_000);
    expect(config.subgraphTimeouts).toEqual({ payments: 8_000, order_history: 500 });
  });

  it('rejects a per-subgraph deadline that is not a positive number of milliseconds', () => {
    expect(() => loadRouterConfig({ SUBGRAPH_REVIEWS_TIMEOUT_MS: 'soon' }, [])).toThrow(/SUBGRAPH_REVIEWS_TIMEOUT_MS/);
    expect(() => loadRouterConfig({ SUBGRAPH_REVIEWS_TIMEOUT_MS: '0' }, [])).toThrow(/SUBGRAPH_REVIEWS_TIMEOUT_MS/);
  });
});
