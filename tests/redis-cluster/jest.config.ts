import type { Config } from 'jest';

/*
 * The event suite on a Redis Cluster (npm run test:redis-cluster): the events package's tests, the checkout
 * saga's and the router's cache and rate-limit tests, unchanged, with their Redis fixtures
 * (`@storefront/events/testing`, tests/support/test-redis.ts) pointed at a six-node cluster that
 * global-setup.mjs starts, so every queue, worker, relay, dead letter and schedule they exercise runs on hash-tagged
 * prefixes across a cluster's slots, as a deployment with REDIS_CLUSTER_NODES does. `npm test` runs the same files
 * on the single Redis; the cluster's failovers are tests/redis-cluster-queues.test.ts and
 * tests/redis-cluster-store.test.ts.
 */
const config: Config = {
  rootDir: '../..',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.jest.json', diagnostics: false }],
  },
  testMatch: [
    '<rootDir>/tests/redis-cluster/**/*.test.ts',
    '<rootDir>/packages/events/src/**/*.test.ts',
    '<rootDir>/tests/saga/**/*.test.ts',
    '<rootDir>/tests/caching.test.ts',
    '<rootDir>/tests/protection.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/', '/generated/'],
  globalSetup: '<rootDir>/tests/redis-cluster/global-setup.mjs',
  globalTeardown: '<rootDir>/tests/redis-cluster/global-teardown.mjs',
  testTimeout: 60_000,
  maxWorkers: 2,
};

export default config;
