import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { killOnExit } from './kill-on-exit.ts';
import { freePort } from './ports.ts';

/*
 * A redis-server of the test's own, on a free port, that the test may freeze, thaw and stop without touching the
 * shared Redis on 6379. Freezing is SIGSTOP: the kernel keeps accepting connections and buffering commands, but
 * nothing ever answers, which is how a hung Redis (a stalled VM, a blocked disk, a debugger) looks to a client,
 * and what a client-side "connection refused" check never sees.
 *
 *   const redis = await startPrivateRedis();
 *   redis.url;        // redis://127.0.0.1:<port>, for REDIS_URL and friends
 *   redis.freeze();   // SIGSTOP: connections open, commands unanswered
 *   redis.thaw();     // SIGCONT: it answers everything it buffered, then carries on
 *   await redis.stop(); // kills it (thawing first if needed) and waits for it to exit; safe twice
 *
 * Nothing is persisted (no RDB, no AOF). A server the test forgets to stop is killed when the test process exits.
 */

export interface PrivateRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Whether the server is stopped by SIGSTOP right now. */
  readonly frozen: boolean;
  /** SIGSTOP: the server keeps its sockets (and the kernel its backlog) but never answers. */
  freeze(): void;
  /** SIGCONT. */
  thaw(): void;
  /** Kills the server and waits until it has exited. */
  stop(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** A port to use (e.g. to start it again where it was after stop()); default: a free one. */
  port?: number;
  /** How long to wait for the server to answer PING; default 10 s. */
  startTimeoutMs?: number;
}

export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = options.port ?? (await freePort());
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  killOnExit(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
  });
  // spawn reports a missing binary asynchronously; without a listener it would crash the test process.
  const spawnFailed = new Promise<never>((_resolve, reject) => child.once('error', reject));
  spawnFailed.catch(() => undefined);

  try {
    await Promise.race([waitForPong(port, options.startTimeoutMs ?? 10_000), spawnFailed, exited.then(() => Promise.reject(new Error(`redis-server exited: ${stderr.trim()}`)))]);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`could not start redis-server on port ${port}: ${(error as Error).message}`, { cause: error });
  }

  let frozen = false;
  let stopping: Promise<void> | undefined;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get frozen() {
      return frozen;
    },
    freeze() {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error('redis-server is not running');
      child.kill('SIGSTOP');
      frozen = true;
    },
    thaw() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT');
      frozen = false;
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          frozen = false;
        }
        await exited;
      })();
      return stopping;
    },
  };
}

/** Resolves once the server answers PING with PONG; retries refused connections until `timeoutMs`. */
async function waitForPong(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pingOnce(port, Math.max(50, deadline - Date.now()))) return;
    if (Date.now() >= deadline) throw new Error(`no PONG within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function pingOnce(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
  });
}
