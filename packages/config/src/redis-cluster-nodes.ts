import { z } from 'zod';

/** One seed node of a Redis Cluster. */
export interface RedisClusterNode {
  host: string;
  port: number;
}

/**
 * REDIS_CLUSTER_NODES: `host:port,host:port,…`, the seed nodes of a Redis Cluster. Unset or empty means a single
 * Redis (REDIS_URL). A few seeds are enough: the clients learn the rest of the cluster (and every failover) from
 * whichever seed answers. Parsed at start-up so a typo is a ConfigError naming the variable, not a late refusal.
 */
export const envRedisClusterNodes = z
  .string()
  .optional()
  .transform((value, context): RedisClusterNode[] | undefined => {
    const entries = (value ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
    if (entries.length === 0) return undefined;
    const nodes: RedisClusterNode[] = [];
    for (const entry of entries) {
      const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(entry);
      const port = Number(match?.[2]);
      if (!match?.[1] || !(port > 0 && port < 65_536)) {
        context.addIssue({ code: 'custom', message: `REDIS_CLUSTER_NODES entries must be host:port, got "${entry}"` });
        return z.NEVER;
      }
      nodes.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
    }
    return nodes;
  });
