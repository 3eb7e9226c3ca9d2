// Plain JavaScript: jest loads global setup outside its TypeScript transform, so the cluster helper comes in
// through tsx. The test workers, forked after this ran, inherit TEST_REDIS_CLUSTER_NODES.
import { tsImport } from 'tsx/esm/api';

export default async function setup() {
  const { startPrivateRedisCluster } = await tsImport('../support/private-redis-cluster.ts', import.meta.url);
  const cluster = await startPrivateRedisCluster();
  process.env.TEST_REDIS_CLUSTER_NODES = cluster.nodesSetting;
  globalThis.redisClusterForEvents = cluster;
  process.stdout.write(`\nthe event suite on a Redis Cluster: ${cluster.nodesSetting}\n`);
}
