import type { Config } from 'jest';

/*
 * The fault suite's own jest run (npm run test:faults), kept out of `npm test`: it starts a whole stack of
 * processes on a Postgres and Redis of its own and injects faults one after another, so it runs alone, in one
 * worker, with timeouts sized for faults that last seconds on a loaded machine.
 */
const config: Config = {
  rootDir: '../..',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.jest.json', diagnostics: false }],
  },
  testMatch: ['<rootDir>/tests/faults/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/generated/'],
  testTimeout: 240_000,
  maxWorkers: 1,
};

export default config;
