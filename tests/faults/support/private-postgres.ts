/*
 * A Postgres cluster of the fault suite's own: initdb into the run's temporary directory, the server started
 * as a child process on a free port (listening on 127.0.0.1 and a socket in that directory only), so the suite
 * may stop, restart or freeze it without touching the shared server on 5432. Run as root, the cluster belongs
 * to the `postgres` OS user (initdb and postgres refuse root), through spawn's uid/gid rather than su, so the
 * pid the suite signals is the postmaster itself.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { waitFor } from '@storefront/testing';
import { freePort } from '../../support/ports.ts';
import type { ProcessGroup } from '../../support/processes.ts';

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** The server as the process group knows it (name `postgres`). */
  readonly processName: string;
  /** Shuts the server down: `fast` (SIGINT: sessions disconnected, clean) or `immediate` (SIGQUIT: like a crash). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port and data, resolving once it accepts connections. */
  start(): Promise<void>;
}

function binary(name: string): string {
  const candidates = ['/usr/local/bin', ...listPostgresBinDirs()].map((dir) => path.join(dir, name));
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`${name} not found in /usr/local/bin or /usr/lib/postgresql/*/bin`);
  return found;
}

function listPostgresBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return execFileSync('ls', ['-1', root], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => path.join(root, version, 'bin'));
}

/** The postgres OS user when running as root (initdb refuses root); the current user otherwise. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

async function accepts(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function startPrivatePostgres(group: ProcessGroup, options: { maxConnections?: number } = {}): Promise<PrivatePostgres> {
  const user = serverUser();
  const dataDir = path.join(group.dir, 'pgdata');
  const socketDir = path.join(group.dir, 'pgsocket');
  mkdirSync(dataDir, { mode: 0o700 });
  mkdirSync(socketDir, { mode: 0o700 });
  if (user) {
    chownSync(group.dir, user.uid, user.gid);
    chownSync(dataDir, user.uid, user.gid);
    chownSync(socketDir, user.uid, user.gid);
  }
  const initdb = spawnSync(binary('initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '--encoding=UTF8', '--locale=C'], {
    encoding: 'utf8',
    ...(user ?? {}),
  });
  if (initdb.status !== 0) throw new Error(`initdb failed (${initdb.status}): ${initdb.stderr}`);

  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  // Durability is not what the suite tests (a restart is a clean shutdown or a crash of a server whose WAL
  // the OS still holds): fsync off keeps seven databases' migrations and seeds fast on a loaded disk.
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: socketDir,
    max_connections: String(options.maxConnections ?? 300),
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    shared_buffers: '64MB',
    log_min_messages: 'warning',
  };
  const args = ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`])];
  const processName = 'postgres';
  const spec = { command: binary('postgres'), args, env: { PATH: process.env.PATH ?? '', LANG: 'C' }, cwd: group.dir, stopSignal: 'SIGINT' as const, ...(user ?? {}) };

  const start = async () => {
    const managed = group.start(processName, spec);
    await waitFor(
      async () => {
        if (!managed.alive) throw new Error(`postgres exited while starting:\n${managed.tail()}`);
        return accepts(url);
      },
      'the private postgres to accept connections',
      30_000,
      100,
    );
  };
  await start();
  return {
    url,
    port,
    processName,
    async stop(mode = 'fast') {
      const managed = group.get(processName);
      if (!managed.alive) return;
      group.signal(processName, mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
      await managed.exited();
    },
    start,
  };
}
