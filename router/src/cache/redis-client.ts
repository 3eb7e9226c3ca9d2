import type { RedisClusterNode } from '@storefront/config';
import { withDeadline } from '@storefront/http-host';
import { createClient, createCluster } from 'redis';

/*
 * The one place the router turns its Redis settings into node-redis clients: a single Redis (REDIS_URL) or a
 * Redis Cluster (REDIS_CLUSTER_NODES, with REDIS_URL's user, password and TLS applied to every node). Callers get
 * one client type and never branch on which it is, except for pub/sub, which goes through `listenOn` and
 * `publishOn` below.
 */

/** Where the router's Redis is. */
export interface RedisTarget {
  url: string;
  /** A Redis Cluster's seed nodes; absent: the single Redis at `url`. */
  clusterNodes?: readonly RedisClusterNode[] | undefined;
}

/**
 * Fail fast when the client can tell: nothing queued while disconnected, endless reconnects. Its
 * `commandOptions.timeout` is left at its default on purpose: in the installed node-redis (6.x) it only bounds
 * the wait to be *written* to the socket, and the timer is removed once the command is written, so a server that
 * accepts the connection and never answers (SIGSTOP, a stalled VM) holds the command forever. Deadlines are
 * therefore kept around each whole call (RedisConnection.run). `connectTimeout` likewise covers the TCP
 * handshake only, not node-redis's own handshake commands, hence the watchdog in RedisConnection.
 */
function failFastOptions(commandTimeoutMs: number) {
  return {
    disableOfflineQueue: true,
    socket: {
      connectTimeout: Math.max(1_000, commandTimeoutMs * 4),
      // Back off up to 5 s between attempts, forever: Redis coming back should need no restart.
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5_000),
    },
  };
}

function singleClient(url: string, commandTimeoutMs: number) {
  return createClient({ url, ...failFastOptions(commandTimeoutMs) });
}

function clusterClient(url: string, nodes: readonly RedisClusterNode[], commandTimeoutMs: number) {
  const parsed = new URL(url);
  const tls = parsed.protocol === 'rediss:';
  const options = failFastOptions(commandTimeoutMs);
  const backOff = options.socket.reconnectStrategy;
  const cluster = createCluster({
    rootNodes: nodes.map(({ host, port }) => ({ socket: { host, port, tls, connectTimeout: options.socket.connectTimeout } })),
    // Discovered nodes are connected with these alone (not with rootNodes' settings): credentials and TLS go here.
    defaults: {
      ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
      ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
      disableOfflineQueue: options.disableOfflineQueue,
      // A node client of a destroyed cluster gives up, so the connect destroyClient waits for settles.
      socket: { ...options.socket, tls, reconnectStrategy: (retries: number): number | false => (retired.has(cluster) ? false : backOff(retries)) },
    },
  });
  return cluster;
}

export type SingleRedisClient = ReturnType<typeof singleClient>;
export type ClusterRedisClient = ReturnType<typeof clusterClient>;
/** A client of either kind: every keyed command the caches use has the same signature on both. */
export type RouterRedisClient = SingleRedisClient | ClusterRedisClient;

/** A new client for `target`, not yet connected. */
export function createRouterRedisClient(target: RedisTarget, commandTimeoutMs: number): RouterRedisClient {
  return target.clusterNodes?.length ? clusterClient(target.url, target.clusterNodes, commandTimeoutMs) : singleClient(target.url, commandTimeoutMs);
}

export function isCluster(client: RouterRedisClient): client is ClusterRedisClient {
  // Only the cluster client knows its masters; checked on the instance so a wrapped client still tells.
  return 'masters' in client;
}

/**
 * Subscribes on a connection given only to listening. On a cluster, sharded pub/sub (SSUBSCRIBE, Redis 7): the
 * channel lives on the shard owning its slot, so a message crosses only that shard instead of being broadcast over
 * the cluster bus to every node, and node-redis follows the slot to its new master after a failover. On a single
 * Redis, plain SUBSCRIBE, so publishers that predate the cluster (or Redis 6) still reach it.
 */
export async function listenOn(subscriber: RouterRedisClient, channel: string, listener: (message: string) => void): Promise<void> {
  if (isCluster(subscriber)) await subscriber.sSubscribe(channel, listener);
  else await subscriber.subscribe(channel, listener);
}

/** Publishes where `listenOn` listens: SPUBLISH on a cluster, PUBLISH on a single Redis. Answers how many received it. */
export function publishOn(client: RouterRedisClient, channel: string, message: string): Promise<number> {
  return isCluster(client) ? client.sPublish(channel, message) : client.publish(channel, message);
}

/** How long a destroyed cluster client's connect still in flight is waited for before destroying it anyway. */
const DISCOVERY_WAIT_MS = 5_000;
const connecting = new WeakMap<RouterRedisClient, Promise<unknown>>();
// Typed loosely: the cluster client's own type is inferred from the function that reads this set.
const retired = new WeakSet<object>();

/** Connects `client`, remembering the attempt: `destroyClient` waits for it. */
export function connectClient(client: RouterRedisClient): Promise<unknown> {
  const attempt = client.connect();
  connecting.set(client, attempt.catch(() => undefined));
  return attempt;
}

/**
 * Ends a client for good, dropping whatever it still waits for. A cluster client is destroyed only once its
 * connect has settled: node-redis's topology discovery, if destroyed mid-flight, goes on to open a client per
 * master that is no longer in any list destroy() reaches, and that nobody would ever close (one for a dead node
 * reconnects forever). Meanwhile its node clients stop reconnecting, so a discovery waiting on a dead node ends.
 */
export async function destroyClient(client: RouterRedisClient): Promise<void> {
  if (!isCluster(client)) return client.destroy();
  retired.add(client);
  const attempt = connecting.get(client);
  if (attempt) await withDeadline(attempt, DISCOVERY_WAIT_MS, 'a retired cluster client\'s discovery').catch(() => undefined);
  client.destroy();
}
