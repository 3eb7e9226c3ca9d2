/*
 * The fault suite's Redis: a redis-server of its own on a free port, like tests/support/private-redis.ts, but
 * durable (append-only file in the run's directory) and run inside the suite's process group. Durable because
 * "Redis shut down and restarted" means a Redis that comes back with its data, as a production Redis for
 * BullMQ does (a pod restarting onto its volume): a memory-only one would come back empty and lose every
 * queued event by design, which tests nothing about the store. In the process group so the reaper covers it
 * and the soak can read its RSS.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { waitFor } from '@storefront/testing';
import { freePort } from '../../support/ports.ts';
import type { ProcessGroup } from '../../support/processes.ts';

export interface DurableRedis {
  url: string;
  host: string;
  port: number;
  readonly processName: string;
  /** SIGSTOP: connections are still accepted by the kernel, nothing is answered. */
  freeze(): void;
  thaw(): void;
  /** A clean shutdown (SIGTERM: the append-only file is flushed), as an operator's restart does. */
  shutdown(): Promise<void>;
  /** Starts it again on the same port and files, resolving once it answers PING. */
  start(): Promise<void>;
}

async function pong(host: string, port: number): Promise<boolean> {
  const client = new Redis({ host, port, lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export async function startDurableRedis(group: ProcessGroup): Promise<DurableRedis> {
  const host = '127.0.0.1';
  const port = await freePort();
  const dir = path.join(group.dir, 'redis');
  mkdirSync(dir, { recursive: true });
  const processName = 'redis';
  const spec = {
    command: 'redis-server',
    args: ['--port', String(port), '--bind', host, '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--loglevel', 'warning'],
    env: { PATH: process.env.PATH ?? '' },
  };
  const start = async () => {
    const managed = group.start(processName, spec);
    await waitFor(
      async () => {
        if (!managed.alive) throw new Error(`redis-server exited while starting:\n${managed.tail()}`);
        return pong(host, port);
      },
      'the private redis to answer PING',
      15_000,
      50,
    );
  };
  await start();
  return {
    url: `redis://${host}:${port}`,
    host,
    port,
    processName,
    freeze: () => group.freeze(processName),
    thaw: () => group.thaw(processName),
    shutdown: () => group.stop(processName),
    start,
  };
}
