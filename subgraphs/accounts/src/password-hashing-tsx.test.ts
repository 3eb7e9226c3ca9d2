import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@storefront/config';

/*
 * The password worker threads outside jest: under the tsx CLI (npm run dev, npm start) and under
 * `node --import tsx` (the Dockerfile, compose and Kubernetes), neither of which hands its loader to worker
 * threads. The smoke script must hash, check, close the pool and exit by itself.
 */

const run = promisify(execFile);
const SMOKE = fileURLToPath(new URL('./password-hashing.smoke.ts', import.meta.url));
const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
// A few seconds alone; far longer when other test files load the same cores (each worker thread loads tsx).
const RUN_TIMEOUT_MS = 120_000;

describe.each([
  ['the tsx CLI', TSX, [SMOKE]],
  ['node --import tsx', process.execPath, ['--import', 'tsx', SMOKE]],
])('password hashing in worker threads under %s', (_name, command, args) => {
  it(
    'hashes, verifies, and lets the process exit once the pool is closed',
    async () => {
      const { stdout } = await run(command, args, { cwd: REPO_ROOT, timeout: RUN_TIMEOUT_MS });
      expect(JSON.parse(stdout.trim())).toMatchObject({ right: true, wrong: false });
    },
    RUN_TIMEOUT_MS + 10_000,
  );
});
