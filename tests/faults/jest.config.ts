import type { Config } from 'jest';

/*
 * The process suites' own jest run (npm run test:faults), kept out of `npm test`: each starts the whole store as
 * processes. The fault suite (tests/faults) runs it on a Postgres and Redis of its own and injects faults one
 * after another; the deployment check (tests/deployment) runs docker-compose.yml's services on the compiled
 * build. So they run alone, in one worker, with timeouts sized for a loaded machine.
 */
const config: Config = {
  rootDir: '../..',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.jest.json', diagnostics: false }],
  },
  testMatch: ['<rootDir>/tests/faults/**/*.test.ts', '<rootDir>/tests/deployment/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/generated/'],
  testTimeout: 240_000,
  maxWorkers: 1,
};

export default config;
