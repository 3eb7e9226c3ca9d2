import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './ports.ts';

/*
 * A PgBouncer of the test's own, in transaction mode, in front of a Postgres server, on a free port: what a
 * store puts between many subgraph replicas and one database server, so that the server holds a pool's worth of
 * connections however many clients there are.
 *
 *   const bouncer = await startPrivatePgBouncer({ poolSize: 4 });
 *   bouncer.urlFor('postgres://postgres@127.0.0.1:5432/storefront_test_x'); // the same database, through it
 *   await bouncer.stop();
 *
 * PgBouncer refuses to run as root, so as root it runs as the `postgres` OS user (Debian's package is the
 * binary, /usr/sbin/pgbouncer; `apt-get install pgbouncer`, which .ci/run does when it is missing).
 * Authentication is `trust`, like the Postgres it fronts on this machine.
 */

export const PGBOUNCER_BINARY = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((candidate) => existsSync(candidate));

export interface PrivatePgBouncer {
  readonly port: number;
  /** Server connections per database and user: what Postgres sees at most, per database. */
  readonly poolSize: number;
  /** `url` with its host and port replaced by PgBouncer's: the same database and user, through the pooler. */
  urlFor(url: string): string;
  /** Client connections PgBouncer holds right now per database (from its admin console's SHOW CLIENTS). */
  clients(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

export interface PrivatePgBouncerOptions {
  /** Server connections per database and user (default_pool_size); default 4. */
  poolSize?: number;
  /** The Postgres server PgBouncer connects to; default 127.0.0.1:5432. */
  server?: { host: string; port: number };
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startPrivatePgBouncer(options: PrivatePgBouncerOptions = {}): Promise<PrivatePgBouncer> {
  if (!PGBOUNCER_BINARY) throw new Error('pgbouncer is not installed (apt-get install pgbouncer)');
  const poolSize = options.poolSize ?? 4;
  const server = options.server ?? { host: '127.0.0.1', port: 5432 };
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'pgbouncer-'));
  // The postgres user must read the config it is given (mkdtemp makes the directory 0700).
  chmodSync(dir, 0o755);
  const ini = path.join(dir, 'pgbouncer.ini');
  writeFileSync(path.join(dir, 'users.txt'), '"postgres" ""\n');
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=${server.host} port=${server.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      // Lets the test read SHOW CLIENTS from the admin console (the `pgbouncer` database).
      'admin_users = postgres',
      `auth_file = ${path.join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 2000',
      // node-postgres sends these at connect; PgBouncer would otherwise refuse the connection.
      'ignore_startup_parameters = extra_float_digits,options',
      'server_reset_query =',
      'log_connections = 0',
      'log_disconnections = 0',
      '',
    ].join('\n'),
  );
  const asRoot = process.getuid?.() === 0;
  const command = asRoot ? 'runuser' : PGBOUNCER_BINARY;
  const args = asRoot ? ['-u', 'postgres', '--', PGBOUNCER_BINARY, ini] : [ini];
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const deadline = Date.now() + 10_000;
  while (!(await accepting(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`pgbouncer did not start on port ${port}: ${stderr.trim() || `exit code ${child.exitCode}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  let stopped: Promise<void> | undefined;
  let adminConsole: pg.Client | undefined;
  return {
    port,
    poolSize,
    urlFor(url: string) {
      const through = new URL(url);
      through.hostname = '127.0.0.1';
      through.port = String(port);
      return through.toString();
    },
    async clients() {
      if (!adminConsole) {
        adminConsole = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/pgbouncer` });
        await adminConsole.connect();
      }
      // The admin console speaks the simple query protocol only: a query without parameters.
      const { rows } = await adminConsole.query<{ database: string }>('SHOW CLIENTS');
      const counts: Record<string, number> = {};
      for (const { database } of rows) if (database !== 'pgbouncer') counts[database] = (counts[database] ?? 0) + 1;
      return counts;
    },
    stop() {
      stopped ??= (async () => {
        process.off('exit', killOnExit);
        await adminConsole?.end().catch(() => undefined);
        if (child.exitCode === null) child.kill('SIGTERM');
        await exited;
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
