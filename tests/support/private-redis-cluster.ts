import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { killOnExit } from './kill-on-exit.ts';
import { freePort } from './ports.ts';

/*
 * A Redis Cluster of the test's own: six `redis-server --cluster-enabled yes` on free ports (three masters, three
 * replicas) in a temporary folder, joined with `redis-cli --cluster create`, without touching the shared Redis.
 *
 *   const cluster = await startPrivateRedisCluster();
 *   cluster.nodesSetting;        // "127.0.0.1:p1,127.0.0.1:p2,…" for REDIS_CLUSTER_NODES
 *   await cluster.killMaster();  // SIGKILLs a master; resolves once its replica has taken over (cluster_state:ok)
 *   await cluster.stop();        // kills every node and removes the folder; safe twice
 *
 * The node timeout is short (1 s) so a failover takes seconds, not the default 15. Nothing is persisted.
 */

const run = promisify(execFile);

export interface ClusterNode {
  readonly port: number;
  readonly process: ChildProcess;
}

export interface PrivateRedisCluster {
  readonly nodes: readonly ClusterNode[];
  /** For REDIS_CLUSTER_NODES: every node's host:port. */
  readonly nodesSetting: string;
  /** SIGKILLs the master serving `key`'s slot (default: any master) and waits until the cluster is whole again. */
  killMaster(options?: { key?: string }): Promise<{ killedPort: number; promotedPort: number }>;
  /** `redis-cli` against one live node (e.g. `CLUSTER INFO`). */
  cli(...args: string[]): Promise<string>;
  /** `redis-cli` against the node on `port`. */
  cliAt(port: number, ...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

const NODE_TIMEOUT_MS = 1_000;
function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

async function cliOn(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });
  return stdout;
}

/** `ports`: the six nodes' ports, e.g. ones a client was given before the cluster existed (default: free ones). */
export async function startPrivateRedisCluster(options: { startTimeoutMs?: number; ports?: readonly number[] } = {}): Promise<PrivateRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'redis-cluster-'));
  const nodes: ClusterNode[] = [];
  const exits = new Map<ChildProcess, Promise<void>>();
  const ports = new Set<number>(options.ports);
  while (ports.size < 6) ports.add(await freePort());
  for (const port of ports) {
    const child = spawn(
      'redis-server',
      [
        '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
        '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', String(NODE_TIMEOUT_MS),
        // A replica promotes itself however long ago it last heard from its master (the test's are fresh anyway).
        '--cluster-replica-validity-factor', '0',
        '--save', '', '--appendonly', 'no', '--dir', dir,
      ],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    );
    killOnExit(child);
    exits.set(child, new Promise<void>((resolve) => child.once('exit', () => resolve())));
    child.once('error', () => undefined); // a missing binary shows as the PING wait failing below
    nodes.push({ port, process: child });
  }

  const stop = async (): Promise<void> => {
    for (const node of nodes) if (alive(node.process)) node.process.kill('SIGKILL');
    await Promise.all(exits.values());
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
    for (const node of nodes) await waitFor(async () => (await cliOn(node.port, 'PING').catch(() => '')).includes('PONG'), deadline, `node ${node.port} to answer PING`);
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: 30_000 });
    // `create` returns when the slots are assigned; every node must agree before clients see a stable map.
    for (const node of nodes) await waitFor(async () => isOk(await cliOn(node.port, 'CLUSTER', 'INFO').catch(() => '')), deadline, `node ${node.port} to report cluster_state:ok`);
    // And every replica has its master's data: a failover before the first sync would start from nothing.
    for (const node of nodes) {
      await waitFor(
        async () => {
          const replication = await cliOn(node.port, 'INFO', 'replication').catch(() => '');
          return replication.includes('role:master') || replication.includes('master_link_status:up');
        },
        deadline,
        `node ${node.port}'s replication link`,
      );
    }
  } catch (error) {
    await stop();
    throw new Error(`could not start a Redis Cluster: ${(error as Error).message}`, { cause: error });
  }

  const live = () => nodes.filter((node) => alive(node.process));
  let stopping: Promise<void> | undefined;
  return {
    nodes,
    nodesSetting: nodes.map((node) => `127.0.0.1:${node.port}`).join(','),
    cli: (...args) => cliOn(live()[0]!.port, ...args),
    cliAt: cliOn,
    async killMaster({ key } = {}) {
      const someone = live()[0]!.port;
      const masterPort = key ? Number(/:(\d+)/.exec(await masterOfKey(someone, key))?.[1]) : await anyMasterPort(someone);
      const victim = nodes.find((node) => node.port === masterPort);
      if (!victim) throw new Error(`no live master found (${masterPort})`);
      const replicaPorts = await replicasOf(someone, masterPort);
      victim.process.kill('SIGKILL');
      await exits.get(victim.process);
      const deadline = Date.now() + 30_000;
      let promotedPort = 0;
      await waitFor(
        async () => {
          for (const port of replicaPorts) {
            if ((await cliOn(port, 'ROLE').catch(() => '')).startsWith('master')) promotedPort = port;
          }
          if (!promotedPort) return false;
          const states = await Promise.all(live().map((node) => cliOn(node.port, 'CLUSTER', 'INFO').catch(() => '')));
          return states.every(isOk);
        },
        deadline,
        `a replica of ${masterPort} to take over`,
      );
      return { killedPort: masterPort, promotedPort };
    },
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
}

function isOk(info: string): boolean {
  return /cluster_state:ok/.test(info);
}

/** `host:port` of the master holding `key`'s slot (CLUSTER NODES' line whose slot range covers it). */
async function masterOfKey(port: number, key: string): Promise<string> {
  const slot = Number((await cliOn(port, 'CLUSTER', 'KEYSLOT', key)).trim());
  for (const line of (await cliOn(port, 'CLUSTER', 'NODES')).split('\n')) {
    const [, address, flags, , , , , , ...ranges] = line.split(' ');
    if (!flags?.includes('master') || flags.includes('fail')) continue;
    for (const range of ranges) {
      const [from, to = from] = range.split('-').map(Number);
      if (from !== undefined && to !== undefined && slot >= from && slot <= to) return address ?? '';
    }
  }
  return '';
}

async function anyMasterPort(port: number): Promise<number> {
  for (const line of (await cliOn(port, 'CLUSTER', 'NODES')).split('\n')) {
    const [, address, flags] = line.split(' ');
    if (flags?.includes('master') && !flags.includes('fail')) return Number(/:(\d+)/.exec(address ?? '')?.[1]);
  }
  return 0;
}

async function replicasOf(port: number, masterPort: number): Promise<number[]> {
  const lines = (await cliOn(port, 'CLUSTER', 'NODES')).split('\n').map((line) => line.split(' '));
  const master = lines.find(([, address]) => address?.startsWith(`127.0.0.1:${masterPort}@`));
  return lines.filter(([, , flags, masterId]) => flags?.includes('slave') && masterId === master?.[0]).map(([, address]) => Number(/:(\d+)/.exec(address ?? '')?.[1]));
}

async function waitFor(check: () => Promise<boolean>, deadline: number, what: string): Promise<void> {
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
