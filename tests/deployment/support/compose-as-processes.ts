import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { REPO_ROOT } from '@storefront/common';
import { startSmtpCatcher, type SmtpCatcher } from '@storefront/notifications/mail-catcher';
import { ensureDatabaseExists } from '@storefront/prisma-tools';
import pg from 'pg';
import { ProcessGroup } from '../../faults/support/processes.ts';
import { composeEnvironment, type ComposeFile, type ComposeService } from '../../infrastructure/support/checks.ts';
import { freePort } from '../../support/ports.ts';

/*
 * docker-compose.yml run without Docker: every service that runs the project's image is started as a local
 * process with exactly its compose `command` (or `entrypoint`) and `environment`, in the order its `depends_on`
 * conditions give, and is healthy when its own compose healthcheck command says so. What a container network
 * would provide is stood in for, and only that:
 *   - service host names become 127.0.0.1, and each service's port one of the test's own;
 *   - `postgres` is the local server (databases `storefront_compose_<run>_<name>`, the postgres role, since the
 *     per-service roles come from docker/postgres/init.sql, which targets a fresh cluster), `redis` the local one
 *     (QUEUE_PREFIX and the router's CACHE_KEY_PREFIX made the run's own), `mailpit` an SMTP catcher and
 *     `jaeger` an OTLP sink that counts what it receives.
 * A service compose forgets, starts with the wrong command or environment, or orders wrongly fails here.
 */

const INFRASTRUCTURE_SERVICES = new Set(['postgres', 'redis', 'mailpit', 'jaeger']);

export interface ComposeRun {
  group: ProcessGroup;
  mail: SmtpCatcher;
  /** OTLP trace exports received, and the service names their resources carry. */
  traces: { count: number; services: Set<string> };
  /** http://127.0.0.1:<port> for a compose service (its container port, mapped). */
  urlOf(service: string): string;
  /** Runs a one-shot service (a profile one, such as `seed`) to completion, as `docker compose run --rm`. */
  runOnce(service: string, extraArgs?: string[]): Promise<void>;
  started: string[];
  close(): Promise<void>;
}

interface Listening {
  port: number;
  close(): Promise<void>;
}

async function otlpSink(traces: ComposeRun['traces']): Promise<Listening> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        traces.count += 1;
        // OTLP/HTTP JSON (the exporter's default): each resource names its service.
        for (const match of Buffer.concat(chunks).toString('utf8').matchAll(/"service\.name","value":\{"stringValue":"([^"]+)"/g)) traces.services.add(match[1] ?? '');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function listensOn(env: Record<string, string>): number | undefined {
  const port = env.WORKER_PORT ?? env.PORT;
  return port ? Number(port) : undefined;
}

function dependencies(service: ComposeService): Array<[string, string]> {
  const dependsOn = service.depends_on;
  if (!dependsOn) return [];
  if (Array.isArray(dependsOn)) return dependsOn.map((name) => [name, 'service_started']);
  return Object.entries(dependsOn).map(([name, { condition }]) => [name, condition]);
}

async function runToCompletion(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: 'ignore' });
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code ?? 1));
    child.once('error', () => resolve(1));
  });
}

export async function runCompose(compose: ComposeFile, options: { label: string; timeoutMs?: number }): Promise<ComposeRun> {
  const timeoutMs = options.timeoutMs ?? 180_000;
  const run = randomUUID().slice(0, 8);
  const group = new ProcessGroup(options.label);
  const traces = { count: 0, services: new Set<string>() };
  const [mail, sink] = await Promise.all([startSmtpCatcher({ keep: 1_000 }), otlpSink(traces)]);
  const databases = new Set<string>();

  const services = Object.entries(compose.services).filter(([name, service]) => service.build !== undefined && !INFRASTRUCTURE_SERVICES.has(name));
  const environments = new Map(services.map(([name, service]) => [name, composeEnvironment(service)]));
  const ports = new Map<string, { container: number; local: number }>();
  for (const [name] of services) {
    const port = listensOn(environments.get(name) ?? {});
    if (port) ports.set(name, { container: port, local: await freePort() });
  }
  const published = new Map<number, string>();
  for (const [name, service] of services) {
    for (const mapping of (service as { ports?: string[] }).ports ?? []) published.set(Number(mapping.split(':')[0]), name);
  }
  const smtpPort = Number(new URL(mail.url).port);

  const rewriteUrl = (value: string): string =>
    value.replace(/\b([a-z][a-z0-9+.-]*):\/\/(?:([^@/\s]+)@)?([a-z][a-z0-9-]*):(\d+)([^\s]*)/g, (whole, scheme: string, _credentials: string | undefined, host: string, port: string, rest: string) => {
      if (host === 'postgres') {
        const database = rest.replace(/^\//, '').split(/[?#]/, 1)[0] ?? '';
        const own = `storefront_compose_${run}_${database.replace(/^storefront_/, '')}`;
        databases.add(own);
        return `postgres://postgres@127.0.0.1:5432/${own}`;
      }
      if (host === 'redis') return `redis://127.0.0.1:6379${rest}`;
      if (host === 'mailpit') return `${scheme}://127.0.0.1:${smtpPort}${rest}`;
      if (host === 'jaeger') return `${scheme}://127.0.0.1:${sink.port}${rest}`;
      if (host === 'localhost') {
        const target = published.get(Number(port));
        const local = target ? ports.get(target)?.local : undefined;
        return local ? `${scheme}://127.0.0.1:${local}${rest}` : whole;
      }
      const mapped = ports.get(host);
      if (!mapped) throw new Error(`a URL names ${host}:${port}, which no compose service provides: ${whole}`);
      if (mapped.container !== Number(port)) throw new Error(`a URL names ${host}:${port}, but ${host} listens on ${mapped.container}: ${whole}`);
      return `${scheme}://127.0.0.1:${mapped.local}${rest}`;
    });

  const queuePrefix = `compose-${run}`;
  const environmentOf = (name: string): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
    for (const [key, value] of Object.entries(environments.get(name) ?? {})) env[key] = rewriteUrl(value);
    const port = ports.get(name);
    if (port) env[env.WORKER_PORT ? 'WORKER_PORT' : 'PORT'] = String(port.local);
    if (env.QUEUE_PREFIX) env.QUEUE_PREFIX = queuePrefix;
    if (name === 'router') env.CACHE_KEY_PREFIX = `${queuePrefix}:router:`;
    return env;
  };

  const argsOf = (service: ComposeService): string[] => [...(service.entrypoint ?? []), ...(service.command ?? [])];
  const started: string[] = [];
  const state = new Map<string, Promise<void>>();
  const healthy = new Map<string, Promise<void>>();
  const completed = new Map<string, Promise<void>>();
  const deadline = Date.now() + timeoutMs;

  const waitHealthy = async (name: string, service: ComposeService, env: NodeJS.ProcessEnv): Promise<void> => {
    const test = service.healthcheck?.test;
    const [kind, command, ...args] = Array.isArray(test) ? test : [];
    if (kind !== 'CMD' || !command) throw new Error(`${name}: expected a CMD healthcheck, got ${JSON.stringify(test)}`);
    const managed = group.get(name);
    while (Date.now() < deadline) {
      if (!managed.alive) throw new Error(`${name} exited before it was healthy:\n${managed.tail()}`);
      if ((await runToCompletion(command === 'node' ? process.execPath : command, args, env)) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    throw new Error(`${name} was not healthy in time:\n${managed.tail()}`);
  };

  const start = (name: string): Promise<void> => {
    const known = state.get(name);
    if (known) return known;
    const service = compose.services[name];
    if (!service) return Promise.reject(new Error(`depends on ${name}, which compose does not define`));
    const starting = (async () => {
      if (INFRASTRUCTURE_SERVICES.has(name)) return;
      for (const [dependency, condition] of dependencies(service)) {
        await start(dependency);
        if (condition === 'service_healthy' && !INFRASTRUCTURE_SERVICES.has(dependency)) await healthy.get(dependency);
        if (condition === 'service_completed_successfully') await completed.get(dependency);
      }
      const env = environmentOf(name);
      for (const url of Object.values(env)) {
        const database = url && /^postgres:\/\/postgres@127\.0\.0\.1:5432\/(storefront_compose_\w+)/.exec(url)?.[0];
        if (database) await ensureDatabaseExists(database);
      }
      const [command, ...args] = argsOf(service);
      if (!command) throw new Error(`${name} has no command`);
      group.start(name, { command: command === 'node' ? process.execPath : command, args, env });
      started.push(name);
      const oneShot = (service as { restart?: string }).restart === 'no';
      if (oneShot) {
        completed.set(
          name,
          (async () => {
            const managed = group.get(name);
            await managed.exited();
            if (managed.exitCode !== 0) throw new Error(`${name} exited with ${managed.exitCode}:\n${managed.tail()}`);
          })(),
        );
      } else {
        healthy.set(name, waitHealthy(name, service, env));
      }
    })();
    state.set(name, starting);
    return starting;
  };

  const close = async () => {
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
    // Profile services (the seed) start only when asked, as with compose.
    const always = services.filter(([, service]) => !(service as { profiles?: string[] }).profiles?.length).map(([name]) => name);
    await Promise.all(always.map(start));
    await Promise.all([...healthy.values(), ...completed.values()]);
  } catch (error) {
    await close();
    throw error;
  }

  return {
    group,
    mail,
    traces,
    started,
    urlOf(service) {
      const port = ports.get(service);
      if (!port) throw new Error(`${service} listens on no port`);
      return `http://127.0.0.1:${port.local}`;
    },
    async runOnce(service, extraArgs = []) {
      const definition = compose.services[service];
      if (!definition) throw new Error(`compose defines no ${service}`);
      const [command, ...args] = argsOf(definition);
      if (!command) throw new Error(`${service} has no command`);
      const code = await runToCompletion(command === 'node' ? process.execPath : command, [...args, ...extraArgs], { ...environmentOf(service), ...group.markerEnv });
      if (code !== 0) throw new Error(`${service} exited with ${code}`);
    },
    close,
  };
}
