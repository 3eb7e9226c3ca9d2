/*
 * The store scaled out, as separate OS processes on one Postgres and one Redis: two routers, two replicas of
 * every subgraph and two worker hosts (each hosting every service's relay, consumers and jobs, so every
 * service has two). The routers reach each subgraph through one address, a round-robin proxy in front of its
 * pair (support/round-robin-proxy.ts), as they reach a Kubernetes Service in production: the router is given
 * one URL per subgraph there too, so what runs here is the router as deployed, not a mode of its own.
 *
 * It has the fault stack's shape (support/fault-stack.ts: the same private Postgres, durable Redis, SMTP
 * catcher and process group), so the ledger that balances the fault suite's books balances these as well.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { listSubgraphs, REPO_ROOT } from '@storefront/config';
import { SUPERGRAPH_PATH } from '@storefront/schema';
import { startSmtpCatcher, type SmtpCatcher } from '@storefront/notifications/mail-catcher';
import type { SeedPlan } from '@storefront/seed-world';
import { waitFor } from '@storefront/testing';
import { freePort } from '../../support/ports.ts';
import { startDurableRedis } from './durable-redis.ts';
import type { FaultStack } from './fault-stack.ts';
import { startPrivatePostgres } from './private-postgres.ts';
import { prepareStoreDatabases, routerIdentityPems, storeProcessEnv } from './store-setup.ts';
import { ProcessGroup } from '../../support/processes.ts';
import { startRoundRobinProxy, type RoundRobinProxy } from './round-robin-proxy.ts';

export const REPLICAS = ['a', 'b'] as const;
export type Replica = (typeof REPLICAS)[number];

export interface ReplicaStackOptions {
  label: string;
  plan: SeedPlan;
  /** Extra settings per role: `router`, `workers`, or a subgraph's name (given to both of its replicas). */
  env?: Partial<Record<string, Record<string, string>>>;
  say?: (message: string) => void;
}

export interface ReplicaStack extends FaultStack {
  /** Each router's /graphql, by replica. `routerUrl` is router a's. */
  routerUrls: Record<Replica, string>;
  /** The process names of a role's replicas: `catalog-a`, `catalog-b`; `router-a`…; `workers-a`…. */
  replicasOf(role: string): string[];
  /** The proxy in front of each subgraph's pair, by subgraph. */
  proxies: Record<string, RoundRobinProxy>;
  /** A process's Prometheus text from its own /metrics. */
  metrics(name: string): Promise<string>;
}


async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

export async function startReplicaStack(options: ReplicaStackOptions): Promise<ReplicaStack> {
  const say = options.say ?? (() => {});
  const group = new ProcessGroup(options.label);
  const proxies: Record<string, RoundRobinProxy> = {};
  let mail: SmtpCatcher | undefined;
  const closeProxies = () => Promise.all(Object.values(proxies).map((proxy) => proxy.close()));
  try {
    const started = performance.now();
    const [postgres, redis] = await Promise.all([startPrivatePostgres(group), startDurableRedis(group)]);
    mail = await startSmtpCatcher({ keep: 100_000, dedupeMessageIds: true });

    const packages = listSubgraphs();
    const withDatabase = packages.filter((pkg) => pkg.database);
    const databases = await prepareStoreDatabases(postgres.url, options.plan, { attempts: 3, poolSize: 4 });
    say(`databases migrated and seeded (${Math.round(performance.now() - started)} ms)`);

    const queuePrefix = `replicas-${options.label}-${randomUUID().slice(0, 8)}`;
    const { publicKey, privateKey } = routerIdentityPems();
    const base = storeProcessEnv(redis.url, queuePrefix);

    const portOf: Record<string, number> = {};
    const readyUrls: Record<string, string> = {};
    const replicasOf = (role: string) => REPLICAS.map((replica) => `${role}-${replica}`);
    const listen = async (name: string) => {
      portOf[name] = await freePort();
      readyUrls[name] = `http://127.0.0.1:${portOf[name]}/ready`;
      return String(portOf[name]);
    };

    for (const pkg of packages) {
      for (const name of replicasOf(pkg.name)) {
        group.startNode(name, path.join(pkg.dir, 'src', 'main.ts'), {
          ...base,
          PORT: await listen(name),
          ...(databases[pkg.name] ? { DATABASE_URL: databases[pkg.name] } : {}),
          DATABASE_POOL_SIZE: '3',
          MIGRATE_ON_START: 'false',
          RUN_WORKERS: 'false',
          ROUTER_IDENTITY_PUBLIC_KEY: publicKey,
          ...options.env?.[pkg.name],
        });
      }
      proxies[pkg.name] = await startRoundRobinProxy(
        await freePort(),
        replicasOf(pkg.name).map((name) => ({ name, port: portOf[name] ?? 0, readyUrl: readyUrls[name] ?? '' })),
      );
    }
    for (const name of replicasOf('workers')) {
      group.startNode(
        name,
        path.join(REPO_ROOT, 'workers', 'src', 'main.ts'),
        {
          ...base,
          POSTGRES_URL: postgres.url,
          WORKER_PORT: await listen(name),
          DATABASE_POOL_SIZE: '2',
          SMTP_URL: mail.url,
          SMTP_DEDUPLICATES_MESSAGE_ID: 'true',
          WORKER_LOCK_MS: '5000',
          ...options.env?.workers,
        },
        withDatabase.map((pkg) => pkg.name),
      );
    }
    const routerEnv: Record<string, string> = {
      SUPERGRAPH_PATH,
      // One prefix for both: the caches, rate limits and the invalidation channel are shared through Redis.
      CACHE_KEY_PREFIX: `${queuePrefix}:router:`,
      CACHE_STATS_LOG_INTERVAL_SECONDS: '0',
      ROUTER_IDENTITY_PRIVATE_KEY: privateKey,
      ...Object.fromEntries(packages.map((pkg) => [`SUBGRAPH_${pkg.name.toUpperCase()}_URL`, `${proxies[pkg.name]?.url}/graphql`])),
      ...options.env?.router,
    };
    for (const name of replicasOf('router')) {
      group.start(name, {
        command: process.execPath,
        args: ['--max-old-space-size=768', '--import', 'tsx', path.join(REPO_ROOT, 'router', 'src', 'main.ts')],
        env: { ...base, ...routerEnv, PORT: await listen(name) },
      });
    }

    // Twenty processes start at once: on two shared cores under other work that can take minutes.
    const ready = async (name: string, timeoutMs = 300_000) => {
      const managed = group.get(name);
      const url = readyUrls[name];
      if (!url) throw new Error(`no readiness URL for ${name}`);
      await waitFor(
        async () => {
          if (!managed.alive) throw new Error(`${name} exited:\n${managed.tail()}`);
          return answers(url);
        },
        `${name} to be ready`,
        timeoutMs,
        200,
      );
    };
    await Promise.all(Object.keys(readyUrls).map((name) => ready(name)));
    // And every proxy routes to both of its replicas.
    await waitFor(() => Object.values(proxies).every((proxy) => proxy.ready().length === REPLICAS.length), 'the proxies to see every replica ready', 10_000, 50);
    say(`${Object.keys(readyUrls).length} processes ready (${Math.round(performance.now() - started)} ms)`);

    const routerUrls = Object.fromEntries(REPLICAS.map((replica) => [replica, `http://127.0.0.1:${portOf[`router-${replica}`]}/graphql`])) as Record<Replica, string>;
    const catcher = mail;
    return {
      group,
      postgres,
      redis,
      mail: catcher,
      routerUrl: routerUrls.a,
      routerUrls,
      subgraphs: packages.map((pkg) => pkg.name),
      databases,
      queuePrefix,
      routerEnv,
      proxies,
      replicasOf,
      process: (name) => group.get(name),
      async restart(name) {
        group.start(name);
        await ready(name);
      },
      ready,
      async metrics(name) {
        const response = await fetch(`http://127.0.0.1:${portOf[name]}/metrics`, { signal: AbortSignal.timeout(5_000) });
        return response.text();
      },
      async close() {
        await group.close([...replicasOf('router'), ...replicasOf('workers'), ...packages.flatMap((pkg) => replicasOf(pkg.name)), postgres.processName, redis.processName]);
        await closeProxies();
        await catcher.close();
      },
    };
  } catch (error) {
    await group.close();
    await closeProxies();
    await mail?.close();
    throw error;
  }
}

/** The sum of a Prometheus counter's samples whose labels include every one of `labels`. */
export function metricSum(text: string, metric: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    const labelText = /\{([^}]*)\}/.exec(line)?.[1] ?? '';
    if (!Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
