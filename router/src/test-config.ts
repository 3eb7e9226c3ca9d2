import type { RouterConfig } from './config.ts';

/** A router for tests: any free port on localhost, quiet, over the given supergraph file; `overrides` win. */
export function testRouterConfig(supergraphPath: string, overrides: Partial<RouterConfig> = {}): RouterConfig {
  return {
    nodeEnv: 'test',
    host: '127.0.0.1',
    port: 0,
    supergraphPath,
    subgraphUrls: {},
    subgraphTimeoutMs: 5_000,
    overrideLabels: [],
    maxBodyBytes: 100_000,
    logLevel: 'silent',
    logFormat: 'json',
    ...overrides,
  };
}
