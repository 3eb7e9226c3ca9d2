/*
 * The whole store as separate OS processes, the way `npm run dev` runs it on Postgres: every subgraph from its
 * own src/main.ts, one `workers` process for every service's relay, consumers and jobs, and the router from
 * router/src/main.ts, all configured through their environment only. Underneath: a Postgres cluster and a
 * Redis of the stack's own (never the shared 5432/6379), and an SMTP catcher in this process standing in for
 * Mailpit. Each process can be killed, frozen, thawed and restarted by name.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { listSubgraphs, REPO_ROOT } from '@storefront/config';
import { type SeedPlan } from '@storefront/seed-world';
import { waitFor } from '@storefront/testing';
import { SUPERGRAPH_PATH } from '@storefront/schema';
import { startSmtpCatcher, type SmtpCatcher } from '@storefront/notifications/mail-catcher';
import { startDurableRedis, type DurableRedis } from './durable-redis.ts';
import { freePort } from '../../support/ports.ts';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.ts';
import { prepareStoreDatabases, routerIdentityPems, storeProcessEnv } from './store-setup.ts';
import { ProcessGroup, type ManagedProcess } from '../../support/processes.ts';

export interface FaultStackOptions {
  /** Names the temporary directory and the queue prefix. */
  label: string;
  plan: SeedPlan;
  /** Extra settings per process: `router`, `workers`, or a subgraph's name. */
  env?: Partial<Record<string, Record<string, string>>>;
  /** Progress lines while the stack comes up (default: none). */
  say?: (message: string) => void;
}

export interface FaultStack {
  group: ProcessGroup;
  postgres: PrivatePostgres;
  redis: DurableRedis;
  mail: SmtpCatcher;
  routerUrl: string;
  /** The subgraph processes' names (every folder in subgraphs/). */
  subgraphs: string[];
  /** Each database-owning subgraph's database URL on the private cluster. */
  databases: Record<string, string>;
  /** The BullMQ prefix the workers and subgraphs use. */
  queuePrefix: string;
  /** Settings the router got, for assertions that depend on them (e.g. SUBGRAPH_TIMEOUT_MS). */
  routerEnv: Record<string, string>;
  process(name: string): ManagedProcess;
  /** Starts a process that was killed or stopped, and waits until it is ready again. */
  restart(name: string): Promise<void>;
  /** Resolves when `name` answers /ready (every name: subgraphs, workers, router). */
  ready(name: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

async function readyAt(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false;
  }
}


export async function startFaultStack(options: FaultStackOptions): Promise<FaultStack> {
  const say = options.say ?? (() => {});
  const group = new ProcessGroup(options.label);
  let mail: SmtpCatcher | undefined;
  try {
    const started = performance.now();
    const [postgres, redis] = await Promise.all([startPrivatePostgres(group), startDurableRedis(group)]);
    // A relay that drops a Message-ID it already has, as the notifications workers are told (below): a worker
    // killed mid-delivery then resends instead of dead-lettering the e-mail.
    mail = await startSmtpCatcher({ keep: 100_000, dedupeMessageIds: true });
    say(`postgres :${postgres.port}, redis :${redis.port}, smtp ${mail.url} (${Math.round(performance.now() - started)} ms)`);

    const packages = listSubgraphs();
    const withDatabase = packages.filter((pkg) => pkg.database);
    const databases = await prepareStoreDatabases(postgres.url, options.plan);
    say(`databases migrated and seeded (${Math.round(performance.now() - started)} ms)`);

    const queuePrefix = `faults-${options.label}-${randomUUID().slice(0, 8)}`;
    const { publicKey, privateKey } = routerIdentityPems();
    const base = storeProcessEnv(redis.url, queuePrefix);

    const ports: Record<string, number> = {};
    for (const pkg of packages) ports[pkg.name] = await freePort();
    const workerPort = await freePort();
    const routerPort = await freePort();
    const readyUrls: Record<string, string> = {
      workers: `http://127.0.0.1:${workerPort}/ready`,
      router: `http://127.0.0.1:${routerPort}/ready`,
    };

    for (const pkg of packages) {
      readyUrls[pkg.name] = `http://127.0.0.1:${ports[pkg.name]}/ready`;
      group.startNode(pkg.name, path.join(pkg.dir, 'src', 'main.ts'), {
        ...base,
        PORT: String(ports[pkg.name]),
        ...(databases[pkg.name] ? { DATABASE_URL: databases[pkg.name] } : {}),
        DATABASE_POOL_SIZE: '4',
        MIGRATE_ON_START: 'false',
        RUN_WORKERS: 'false',
        ROUTER_IDENTITY_PUBLIC_KEY: publicKey,
        ...options.env?.[pkg.name],
      });
    }
    const workerServices = withDatabase.map((pkg) => pkg.name);
    group.startNode(
      'workers',
      path.join(REPO_ROOT, 'workers', 'src', 'main.ts'),
      {
        ...base,
        POSTGRES_URL: postgres.url,
        WORKER_PORT: String(workerPort),
        DATABASE_POOL_SIZE: '3',
        SMTP_URL: mail.url,
        SMTP_DEDUPLICATES_MESSAGE_ID: 'true',
        // A SIGKILLed worker's running jobs are taken over after this, instead of BullMQ's 30 s.
        WORKER_LOCK_MS: '5000',
        ...options.env?.workers,
      },
      workerServices,
    );
    const routerEnv: Record<string, string> = {
      PORT: String(routerPort),
      SUPERGRAPH_PATH,
      CACHE_KEY_PREFIX: `${queuePrefix}:router:`,
      CACHE_STATS_LOG_INTERVAL_SECONDS: '0',
      ROUTER_IDENTITY_PRIVATE_KEY: privateKey,
      ...Object.fromEntries(packages.map((pkg) => [`SUBGRAPH_${pkg.name.toUpperCase()}_URL`, `http://127.0.0.1:${ports[pkg.name]}/graphql`])),
      ...options.env?.router,
    };
    // As `npm run router` starts it: the heap cap is part of how the router runs.
    group.start('router', {
      command: process.execPath,
      args: ['--max-old-space-size=768', '--import', 'tsx', path.join(REPO_ROOT, 'router', 'src', 'main.ts')],
      env: { ...base, ...routerEnv },
    });

    const ready = async (name: string, timeoutMs = 180_000) => {
      const managed = group.get(name);
      const url = readyUrls[name];
      if (!url) throw new Error(`no readiness URL for ${name}`);
      await waitFor(
        async () => {
          if (!managed.alive) throw new Error(`${name} exited:\n${managed.tail()}`);
          return readyAt(url);
        },
        `${name} to be ready`,
        timeoutMs,
        200,
      );
    };
    await Promise.all(Object.keys(readyUrls).map((name) => ready(name)));
    say(`${Object.keys(readyUrls).length} processes ready (${Math.round(performance.now() - started)} ms)`);

    const catcher = mail;
    return {
      group,
      postgres,
      redis,
      mail: catcher,
      routerUrl: `http://127.0.0.1:${routerPort}/graphql`,
      subgraphs: packages.map((pkg) => pkg.name),
      databases,
      queuePrefix,
      routerEnv,
      process: (name) => group.get(name),
      async restart(name) {
        group.start(name);
        await ready(name);
      },
      ready,
      async close() {
        // The router first (no new work), then subgraphs and workers, the stores last.
        await group.close(['router', 'workers', ...packages.map((pkg) => pkg.name), postgres.processName, redis.processName]);
        await catcher.close();
      },
    };
  } catch (error) {
    await group.close();
    await mail?.close();
    throw error;
  }
}
