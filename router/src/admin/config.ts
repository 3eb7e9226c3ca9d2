import { ConfigError, envBoolean } from '@storefront/config';
// The queue settings alone: the whole events package (BullMQ and all) loads only with the dashboard itself.
import { queueConnectionFromEnv } from '@storefront/events/queue-config';
import type { QueueConnection } from '@storefront/events';

/** The queue dashboard's settings; absent from RouterConfig: no dashboard. */
export interface QueueDashboardConfig {
  queues: QueueConnection;
}

/** ROUTER_QUEUE_DASHBOARD (default false): the router is a general gateway, so the dashboard is opt-in. */
export const queueDashboardEnv = {
  ROUTER_QUEUE_DASHBOARD: envBoolean(false),
};

/** The dashboard reads the workers' queues: REDIS_URL and QUEUE_PREFIX, as the workers read them. */
export function queueDashboardConfigFrom(parsed: { ROUTER_QUEUE_DASHBOARD: boolean }, env: NodeJS.ProcessEnv): QueueDashboardConfig | undefined {
  if (!parsed.ROUTER_QUEUE_DASHBOARD) return undefined;
  try {
    return { queues: queueConnectionFromEnv(env) };
  } catch (error) {
    throw new ConfigError('router', [error instanceof Error ? error.message : String(error)]);
  }
}
