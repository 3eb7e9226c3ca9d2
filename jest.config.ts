import type { Config } from 'jest';

/*
 * One jest run for the whole repository: unit tests beside the code (*.test.ts) and integration tests in
 * tests/ that start real subgraphs and the router against real Postgres. Native ESM (see package.json "test").
 */
const config: Config = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.jest.json', diagnostics: false }],
  },
  testMatch: ['<rootDir>/**/*.test.ts'],
  // The process suites run alone, each on a stack of its own (npm run test:faults, tests/faults/jest.config.ts);
  // tests/redis-cluster checks its own run on a cluster (npm run test:redis-cluster).
  testPathIgnorePatterns: ['/node_modules/', '/generated/', '<rootDir>/tests/faults/', '<rootDir>/tests/deployment/', '<rootDir>/tests/redis-cluster/'],
  // Integration tests start servers and databases; allow them time on a loaded 2-core machine.
  testTimeout: 60_000,
  maxWorkers: 2,
};

export default config;
