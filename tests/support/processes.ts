/*
 * The fault stack's OS processes: every subgraph, the workers, the router, Postgres and Redis run as children
 * of the test process so a test can SIGKILL, SIGSTOP or restart any one of them. Nothing may outlive the run,
 * however it ends:
 *   - close() stops everything in order (afterAll);
 *   - an 'exit' handler SIGKILLs what is still alive and removes the temporary directory (jest exiting early);
 *   - a detached shell "reaper" waits for the test process to disappear and then does the same, for the one
 *     case no handler sees: the test process itself SIGKILLed. It only signals processes whose environment
 *     carries this run's STOREFRONT_FAULT_RUN id, so a recycled pid is never hit.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@storefront/config';

/** The environment variable that marks a process as this run's, for the reaper. */
export const RUN_MARKER = 'STOREFRONT_FAULT_RUN';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number | undefined;
  readonly alive: boolean;
  /** How the current incarnation exited: its code, or null while it runs or when a signal ended it. */
  readonly exitCode: number | null;
  /** Where its stdout and stderr go (all runs of this name, appended). */
  readonly logFile: string;
  /** The end of its log, for failure messages. */
  tail(chars?: number): string;
  /** Resolves when the current incarnation has exited (at once if it is not running). */
  exited(): Promise<void>;
}

interface Incarnation {
  child: ChildProcess;
  exit: Promise<void>;
}

export interface SpawnSpec {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
  /** The signal that stops it gracefully (SIGTERM by default; Postgres' fast shutdown is SIGINT). */
  stopSignal?: NodeJS.Signals;
}

class Managed implements ManagedProcess {
  current: Incarnation | undefined;
  constructor(
    readonly name: string,
    readonly spec: SpawnSpec,
    readonly logFile: string,
  ) {}

  get pid(): number | undefined {
    return this.current?.child.pid;
  }

  get exitCode(): number | null {
    return this.current?.child.exitCode ?? null;
  }

  get alive(): boolean {
    const child = this.current?.child;
    return !!child && child.exitCode === null && child.signalCode === null;
  }

  tail(chars = 3_000): string {
    try {
      return readFileSync(this.logFile, 'utf8').slice(-chars);
    } catch {
      return '';
    }
  }

  exited(): Promise<void> {
    return this.alive && this.current ? this.current.exit : Promise.resolve();
  }
}

export class ProcessGroup {
  readonly runId = randomUUID();
  /** A temporary directory for this run: logs, the Postgres cluster, Redis' files. Removed on close. */
  readonly dir: string;
  readonly #processes = new Map<string, Managed>();
  readonly #reaper: ChildProcess;
  readonly #pidFile: string;
  #closed = false;
  #logsKept = false;
  readonly #onExit = () => this.killAllNow();

  constructor(label: string) {
    this.dir = mkdtempSync(path.join(tmpdir(), `storefront-${label}-`));
    this.#pidFile = path.join(this.dir, 'pids');
    writeFileSync(this.#pidFile, '');
    this.#reaper = spawn('bash', ['-c', REAPER, 'reaper', String(process.pid), this.#pidFile, this.dir, RUN_MARKER, this.runId], {
      detached: true,
      stdio: 'ignore',
    });
    this.#reaper.unref();
    process.once('exit', this.#onExit);
  }

  /** The environment every child gets on top of its own: the run marker. */
  get markerEnv(): Record<string, string> {
    return { [RUN_MARKER]: this.runId };
  }

  get(name: string): ManagedProcess {
    const managed = this.#processes.get(name);
    if (!managed) throw new Error(`no process named ${name}`);
    return managed;
  }

  /** Starts `name` (again, with the same spec, when it was started before and has exited). */
  start(name: string, spec?: SpawnSpec): ManagedProcess {
    if (this.#closed) throw new Error('the process group is closed');
    let managed = this.#processes.get(name);
    if (!managed) {
      if (!spec) throw new Error(`no spec for ${name}`);
      managed = new Managed(name, spec, path.join(this.dir, `${name}.log`));
      this.#processes.set(name, managed);
    } else if (managed.alive) {
      throw new Error(`${name} is already running (pid ${managed.pid})`);
    }
    const { command, args, env, cwd, uid, gid } = managed.spec;
    const log = openSync(managed.logFile, 'a');
    const options: SpawnOptions = { cwd: cwd ?? REPO_ROOT, env: { ...env, ...this.markerEnv }, stdio: ['ignore', log, log], ...(uid !== undefined ? { uid, gid } : {}) };
    const child = spawn(command, args, options);
    closeSync(log);
    const exit = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    managed.current = { child, exit };
    if (child.pid) appendFileSync(this.#pidFile, `${child.pid}\n`);
    return managed;
  }

  /** A node process running one of the repository's entry points with tsx, as `npm run dev` starts them. */
  startNode(name: string, entry: string, env: NodeJS.ProcessEnv, args: string[] = []): ManagedProcess {
    const existing = this.#processes.get(name);
    if (existing) return this.start(name);
    return this.start(name, { command: process.execPath, args: ['--import', 'tsx', entry, ...args], env });
  }

  signal(name: string, signal: NodeJS.Signals): void {
    const managed = this.#processes.get(name);
    const pid = managed?.pid;
    if (!managed?.alive || !pid) throw new Error(`${name} is not running`);
    process.kill(pid, signal);
  }

  /** SIGKILL, and wait until the kernel has reaped it. */
  async kill(name: string): Promise<void> {
    const managed = this.#processes.get(name);
    if (!managed?.alive) return;
    this.signal(name, 'SIGKILL');
    await managed.exited();
  }

  freeze(name: string): void {
    this.signal(name, 'SIGSTOP');
  }

  thaw(name: string): void {
    this.signal(name, 'SIGCONT');
  }

  /** The graceful stop signal, then SIGKILL after `graceMs`. */
  async stop(name: string, graceMs = 10_000): Promise<void> {
    const managed = this.#processes.get(name);
    if (!managed?.alive || !managed.pid) return;
    const pid = managed.pid;
    // A stopped process would hold a pending SIGTERM until someone continued it.
    process.kill(pid, 'SIGCONT');
    process.kill(pid, managed.spec.stopSignal ?? 'SIGTERM');
    const force = setTimeout(() => managed.alive && process.kill(pid, 'SIGKILL'), graceMs);
    await managed.exited();
    clearTimeout(force);
  }

  /**
   * Resident memory of each running process in kB (VmRSS of /proc/<pid>/status). A process listed in
   * `withDescendants` (Postgres: one backend process per connection) also counts its descendants, under
   * `<name>+children` — shared buffers then count once per process that touched them, so it overstates.
   */
  rss(withDescendants: string[] = []): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, managed] of this.#processes) {
      if (!managed.alive || !managed.pid) continue;
      const own = vmRss(managed.pid);
      if (own === undefined) continue;
      out[name] = own;
      if (withDescendants.includes(name)) out[`${name}+children`] = descendantsOf(managed.pid).reduce((sum, pid) => sum + (vmRss(pid) ?? 0), own);
    }
    return out;
  }

  /** Stops every process (in reverse start order unless `order` names some first) and removes the directory. */
  async close(order: string[] = []): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const rest = [...this.#processes.keys()].filter((name) => !order.includes(name)).reverse();
    for (const name of [...order, ...rest]) await this.stop(name).catch(() => undefined);
    this.killAllNow();
    process.removeListener('exit', this.#onExit);
    // The reaper is ours and has nothing left to do.
    if (this.#reaper.pid) {
      try {
        process.kill(-this.#reaper.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** Synchronous last resort (process 'exit'): SIGKILL what lives, keep the logs if asked, remove the directory. */
  killAllNow(): void {
    for (const managed of this.#processes.values()) {
      if (!managed.alive || !managed.pid) continue;
      try {
        process.kill(managed.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.#keepLogs();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** FAULT_LOGS_DIR=<dir> keeps every process's log past the run (a CI artifact, or to read what a failure hid). */
  #keepLogs(): void {
    const target = process.env.FAULT_LOGS_DIR;
    if (!target || this.#logsKept) return;
    this.#logsKept = true;
    try {
      const into = path.join(target, `${path.basename(this.dir)}`);
      mkdirSync(into, { recursive: true });
      for (const managed of this.#processes.values()) cpSync(managed.logFile, path.join(into, path.basename(managed.logFile)), { force: true });
    } catch {
      // a log that was never written
    }
  }
}

function vmRss(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) : undefined;
  } catch {
    return undefined; // exited between the listing and the read
  }
}

/** Every process below `root`, from the parent pids in /proc/<pid>/stat. */
function descendantsOf(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name (field 2) is in parentheses and may hold spaces: the parent pid follows its last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // gone
    }
  }
  const found: number[] = [];
  const frontier = [root];
  while (frontier.length) {
    const parent = frontier.pop();
    for (const [pid, ppid] of parentOf) {
      if (ppid === parent) {
        found.push(pid);
        frontier.push(pid);
      }
    }
  }
  return found;
}

/**
 * The reaper, as a bash script: $1 the test process, $2 the pid list, $3 the run's directory, $4=$5 the
 * marker its processes carry. Postgres gets SIGQUIT first (immediate shutdown takes its backends with it).
 */
const REAPER = `
parent=$1; pids=$2; dir=$3; marker="$4=$5"
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
ours() { tr '\\0' '\\n' < "/proc/$1/environ" 2>/dev/null | grep -qx "$marker"; }
for pid in $(cat "$pids" 2>/dev/null); do
  if ours "$pid"; then kill -CONT "$pid" 2>/dev/null; kill -QUIT "$pid" 2>/dev/null; fi
done
sleep 2
for pid in $(cat "$pids" 2>/dev/null); do
  if ours "$pid"; then kill -KILL "$pid" 2>/dev/null; fi
done
rm -rf "$dir"
`;
