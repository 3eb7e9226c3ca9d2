import type { ChildProcess } from 'node:child_process';

/*
 * Servers a test starts (redis-server, …) must not outlive the test process, even when it dies without running
 * its afterAll. SIGKILL works on a frozen (SIGSTOPped) process as well.
 */

const running = new Set<ChildProcess>();
let hookInstalled = false;

/** Kills `child` when this process exits, unless it has exited by then. */
export function killOnExit(child: ChildProcess): void {
  if (!hookInstalled) {
    hookInstalled = true;
    process.on('exit', () => {
      for (const process_ of running) process_.kill('SIGKILL');
    });
  }
  running.add(child);
  child.once('exit', () => running.delete(child));
}
