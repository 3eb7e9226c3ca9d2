import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { REPO_ROOT } from '@storefront/config';
import { startSmtpCatcher, type SmtpCatcher } from '@storefront/notifications/mail-catcher';
import { ensureDatabaseExists } from '@storefront/prisma-tools';
import pg from 'pg';
import { ProcessGroup } from '../../support/processes.ts';
import { freePort } from '../../support/ports.ts';

/*
 * A deployment's processes run without a container engine: each is started as a local process with exactly the
 * command and environment its deployment file declares, after what it declares it waits for, and counts as
 * ready when its own declared check says so (a healthcheck command, or a readiness probe's HTTP path). The files
 * are translated into this plan by compose-plan.ts and kubernetes-plan.ts. What the container network would
 * provide is stood in for, and only that:
 *   - the network's host names become 127.0.0.1, and each process's port one of the test's own;
 *   - `postgres` is the local server (databases `storefront_deploy_<run>_<name>`, the postgres role: the
 *     per-service roles come from docker/postgres/init.sql, which is for a fresh cluster), `redis` the local one
 *     (QUEUE_PREFIX and the router's CACHE_KEY_PREFIX made the run's own), the mail relay an SMTP catcher, and
 *     the trace collector an OTLP sink that records which services export to it.
 * A process the file forgets, or starts with the wrong command, environment or order, fails the check.
 */

export interface Step {
  args: string[];
  env: Record<string, string>;
}

export interface PlannedProcess extends Step {
  name: string;
  /** The port it listens on inside its container, from WORKER_PORT or PORT. */
  port?: number;
  /** How the file says it is ready: a command that exits 0, or an HTTP path on its port that answers 2xx. */
  ready?: { command: string[] } | { httpPath: string };
  /** What it waits for first (compose's depends_on). */
  after: Array<{ name: string; condition: 'started' | 'healthy' | 'completed' }>;
  /** Run to completion, not kept running (a migration job). */
  oneShot: boolean;
  /** Started only when asked (a compose profile). */
  onDemand: boolean;
  /** Run to completion before it starts (Kubernetes init containers). */
  before: Step[];
}

export interface Plan {
  processes: PlannedProcess[];
  /** host → port the network answers there → the process behind it. */
  hosts: Map<string, Map<number, string>>;
  /** Names the network gives the stand-ins. */
  standIns: { postgres: string; redis: string; smtp: string; traces: string };
}

export interface RunningPlan {
  mail: SmtpCatcher;
  /** The service names OTLP trace exports carried. */
  traceServices: Set<string>;
  started: string[];
  /** http://127.0.0.1:<port> of a process. */
  urlOf(name: string): string;
  /** Runs `args` with a process's environment (rewritten as for the process), to completion. */
  runWith(name: string, args: string[]): Promise<void>;
  close(): Promise<void>;
}

async function otlpSink(services: Set<string>): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      // OTLP/HTTP JSON (the exporter's default): each resource names its service.
      const body = Buffer.concat(chunks).toString('utf8');
      for (const match of body.matchAll(/"service\.name","value":\{"stringValue":"([^"]+)"/g)) services.add(match[1] ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function exitCodeOf(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command = '', ...rest] = args;
  const child = spawn(command === 'node' ? process.execPath : command, rest, { cwd: REPO_ROOT, env, stdio: 'ignore' });
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code ?? 1));
    child.once('error', () => resolve(1));
  });
}

export async function runPlan(plan: Plan, options: { label: string; timeoutMs?: number }): Promise<RunningPlan> {
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  const run = randomUUID().slice(0, 8);
  const group = new ProcessGroup(options.label);
  const traceServices = new Set<string>();
  const [mail, sink] = await Promise.all([startSmtpCatcher({ keep: 1_000 }), otlpSink(traceServices)]);
  const smtpPort = Number(new URL(mail.url).port);
  const databases = new Set<string>();
  const local = new Map<string, number>();
  for (const process_ of plan.processes) if (process_.port) local.set(process_.name, await freePort());

  const rewrite = (value: string): string =>
    value.replace(/\b([a-z][a-z0-9+.-]*):\/\/(?:([^@/\s]+)@)?([a-z][a-z0-9-]*):(\d+)([^\s]*)/g, (whole, scheme: string, _credentials: string | undefined, host: string, port: string, rest: string) => {
      if (host === plan.standIns.postgres) {
        const database = `storefront_deploy_${run}_${(rest.replace(/^\//, '').split(/[?#]/, 1)[0] ?? '').replace(/^storefront_/, '')}`;
        databases.add(database);
        return `postgres://postgres@127.0.0.1:5432/${database}`;
      }
      if (host === plan.standIns.redis) return `redis://127.0.0.1:6379${rest}`;
      if (host === plan.standIns.smtp) return `${scheme}://127.0.0.1:${smtpPort}${rest}`;
      if (host === plan.standIns.traces) return `${scheme}://127.0.0.1:${sink.port}${rest}`;
      const target = plan.hosts.get(host)?.get(Number(port));
      const mapped = target ? local.get(target) : undefined;
      if (mapped) return `${scheme}://127.0.0.1:${mapped}${rest}`;
      // localhost is where an operator reaches what the file publishes (compose ports, kubectl port-forward).
      if (host === 'localhost') return whole;
      throw new Error(`a URL names ${host}:${port}, which nothing in the deployment answers: ${whole}`);
    });

  let closed = false;
  const queuePrefix = `deploy-${run}`;
  const environment = (name: string, declared: Record<string, string>): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...group.markerEnv };
    for (const [key, value] of Object.entries(declared)) env[key] = rewrite(value);
    const port = local.get(name);
    if (port) env[env.WORKER_PORT ? 'WORKER_PORT' : 'PORT'] = String(port);
    if (env.QUEUE_PREFIX) env.QUEUE_PREFIX = queuePrefix;
    if (env.SUPERGRAPH_PATH || name === 'router') env.CACHE_KEY_PREFIX = `${queuePrefix}:router:`;
    return env;
  };
  // What the Postgres of the deployment would already hold; each created once (processes sharing one ask together).
  const creating = new Map<string, Promise<unknown>>();
  const createDatabases = async (env: NodeJS.ProcessEnv) => {
    for (const value of Object.values(env)) {
      const url = value && /^postgres:\/\/postgres@127\.0\.0\.1:5432\/storefront_deploy_\w+/.exec(value)?.[0];
      if (!url) continue;
      if (!creating.has(url)) creating.set(url, ensureDatabaseExists(url));
      await creating.get(url);
    }
  };

  const byName = new Map(plan.processes.map((process_) => [process_.name, process_]));
  const startedOnce = new Map<string, Promise<void>>();
  const ready = new Map<string, Promise<void>>();
  const completed = new Map<string, Promise<void>>();
  const started: string[] = [];

  const waitReady = async (process_: PlannedProcess, env: NodeJS.ProcessEnv): Promise<void> => {
    const managed = group.get(process_.name);
    const check = process_.ready;
    if (!check) throw new Error(`${process_.name} declares no readiness check`);
    while (Date.now() < deadline && !closed) {
      if (!managed.alive) throw new Error(`${process_.name} exited before it was ready:\n${managed.tail()}`);
      if ('command' in check) {
        if ((await exitCodeOf(check.command, env)) === 0) return;
      } else {
        const answer = await fetch(`http://127.0.0.1:${local.get(process_.name)}${check.httpPath}`).catch(() => undefined);
        if (answer?.ok) return;
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    throw new Error(`${process_.name} was not ready in time:\n${managed.tail()}`);
  };

  const start = (name: string): Promise<void> => {
    const known = startedOnce.get(name);
    if (known) return known;
    const process_ = byName.get(name);
    if (!process_) return Promise.reject(new Error(`waits for ${name}, which the deployment does not run`));
    const starting = (async () => {
      for (const dependency of process_.after) {
        if (!byName.has(dependency.name)) continue; // a stand-in (postgres, redis, …): there already
        await start(dependency.name);
        if (dependency.condition === 'healthy') await ready.get(dependency.name);
        if (dependency.condition === 'completed') await completed.get(dependency.name);
      }
      for (const [index, step] of process_.before.entries()) {
        // An init container may loop until something is there (the migrations): it runs in the group, so it
        // is stopped with everything else, and is bounded by the plan's deadline.
        const env = environment(name, step.env);
        await createDatabases(env);
        const [command = '', ...args] = step.args;
        const init = group.start(`${name}-init-${index}`, { command: command === 'node' ? process.execPath : command, args, env });
        let timer: NodeJS.Timeout | undefined;
        const finished = await Promise.race([init.exited().then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()))))]);
        clearTimeout(timer);
        if (!finished || init.exitCode !== 0) throw new Error(`${name}: its init step ${step.args.join(' ')} ${finished ? `exited with ${init.exitCode}` : 'did not finish in time'}:\n${init.tail()}`);
      }
      const env = environment(name, process_.env);
      await createDatabases(env);
      const [command = '', ...args] = process_.args;
      group.start(name, { command: command === 'node' ? process.execPath : command, args, env });
      started.push(name);
      const outcome = process_.oneShot
        ? (async () => {
            const managed = group.get(name);
            await managed.exited();
            if (managed.exitCode !== 0) throw new Error(`${name} exited with ${managed.exitCode}:\n${managed.tail()}`);
          })()
        : waitReady(process_, env);
      // Awaited below (and by what depends on it); a failure before that must not go unhandled.
      outcome.catch(() => undefined);
      (process_.oneShot ? completed : ready).set(name, outcome);
    })();
    startedOnce.set(name, starting);
    return starting;
  };

  const close = async () => {
    closed = true;
    await group.close();
    await Promise.all([mail.close(), sink.close()]);
    const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
    try {
      for (const database of databases) await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  };

  try {
    const always = plan.processes.filter((process_) => !process_.onDemand).map((process_) => process_.name);
    await Promise.all(always.map(start));
    // Every process started; now each must become ready (or complete), whatever started it.
    await Promise.all([...ready.values(), ...completed.values()]);
  } catch (error) {
    await close();
    throw error;
  }

  return {
    mail,
    traceServices,
    started,
    urlOf(name) {
      const port = local.get(name);
      if (!port) throw new Error(`${name} listens on no port`);
      return `http://127.0.0.1:${port}`;
    },
    async runWith(name, args) {
      const process_ = byName.get(name);
      if (!process_) throw new Error(`the deployment runs no ${name}`);
      const code = await exitCodeOf(args, environment(name, process_.env));
      if (code !== 0) throw new Error(`${args.join(' ')} with ${name}'s environment exited with ${code}`);
    },
    close,
  };
}
