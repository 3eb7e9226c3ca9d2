import { randomUUID } from 'node:crypto';
import { createLogger } from '@storefront/telemetry';
import { waitFor } from '@storefront/testing';
import { freePort } from '../../../tests/support/ports.ts';
import { startPrivateRedisCluster, type PrivateRedisCluster } from '../../../tests/support/private-redis-cluster.ts';
import { connectClient, createRouterRedisClient, destroyClient } from './redis-client.ts';
import { RedisConnection } from './redis.ts';
import { CacheStats } from './stats.ts';

/*
 * The router's Redis clients on Redis Clusters of the test's own. Clients it gives up on leave nothing open:
 * RedisConnection replaces its client whenever a probe fails, which during a failover is while the replaced
 * client is still discovering the cluster's topology. And a channel it listens on is heard even when the cluster
 * came up after the router.
 */

let cluster: PrivateRedisCluster;

beforeAll(async () => {
  cluster = await startPrivateRedisCluster();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

const clusterTarget = () => ({ url: 'redis://127.0.0.1', clusterNodes: cluster.nodes.map(({ port }) => ({ host: '127.0.0.1', port })) });

/** Ordinary client connections on every node (not replication links), less redis-cli's own. */
async function connections(): Promise<number> {
  const lists = await Promise.all(cluster.nodes.map(({ port }) => cluster.cliAt(port, 'CLIENT', 'LIST', 'TYPE', 'normal')));
  return lists.reduce((sum, list) => sum + list.trim().split('\n').length - 1, 0);
}

describe('destroyClient', () => {
  it('leaves no connection behind a cluster client destroyed while it is still discovering the topology', async () => {
    expect(await connections()).toBe(0);
    for (let i = 0; i < 4; i++) {
      const client = createRouterRedisClient(clusterTarget(), 500);
      client.on('error', () => undefined);
      void connectClient(client).catch(() => undefined);
      await destroyClient(client);
    }
    // Destroyed mid-discovery, node-redis went on to connect to every master: a leaked client per master each time.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await waitFor(async () => (await connections()) === 0, 'the destroyed clients to leave no connection', 5_000, 100);
  }, 30_000);

  it('leaves no connection behind a connected cluster client', async () => {
    const client = createRouterRedisClient(clusterTarget(), 500);
    await connectClient(client);
    expect(await connections()).toBeGreaterThanOrEqual(3);
    await destroyClient(client);
    await waitFor(async () => (await connections()) === 0, 'the client to leave no connection', 5_000, 100);
  }, 30_000);
});

describe('RedisConnection.subscribe on a cluster', () => {
  it('hears its channel when the cluster comes up only after the router started listening', async () => {
    const ports: number[] = [];
    while (ports.length < 6) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    const connection = new RedisConnection({
      url: 'redis://127.0.0.1',
      clusterNodes: ports.map((port) => ({ host: '127.0.0.1', port })),
      keyPrefix: `test:${randomUUID()}:`,
      commandTimeoutMs: 500,
      logger: createLogger({ service: 'redis-cluster-test', level: 'silent' }),
      stats: new CacheStats(),
    });
    const heard: string[] = [];
    connection.subscribe(connection.key('invalidations'), (message) => void heard.push(message));
    // No seed node answers: the cluster client's connect gives up (a single client would keep reconnecting).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const late = await startPrivateRedisCluster({ ports });
    try {
      await waitFor(
        async () => {
          await connection.publish('entities', connection.key('invalidations'), 'Product:1');
          return heard.includes('Product:1');
        },
        'the message on a channel subscribed to before the cluster existed',
        20_000,
        250,
      );
    } finally {
      await connection.close();
      await late.stop();
    }
  }, 60_000);
});
