import { LATENCY_BUCKETS, type Registry } from '@storefront/telemetry';
import { Counter, Gauge, Histogram } from 'prom-client';

export type Transport = 'ws' | 'sse' | 'multipart';

/** Open connections and subscriptions per transport, events delivered, and the time each event took the router. */
export function createSubscriptionMetrics(registry: Registry) {
  const connections = new Gauge({
    name: 'router_subscription_connections',
    help: 'Open client connections that carry subscriptions, by transport',
    labelNames: ['transport'],
    registers: [registry],
  });
  const subscriptions = new Gauge({ name: 'router_subscriptions_open', help: 'Open client subscriptions, by transport', labelNames: ['transport'], registers: [registry] });
  const events = new Counter({ name: 'router_subscription_events_total', help: 'Subscription events delivered to clients, by transport', labelNames: ['transport'], registers: [registry] });
  const ended = new Counter({
    name: 'router_subscriptions_ended_total',
    help: 'Subscriptions the router ended, by reason (token_expired, shutdown, slow_consumer, limit, subgraph)',
    labelNames: ['reason'],
    registers: [registry],
  });
  const eventSeconds = new Histogram({
    name: 'router_subscription_event_duration_seconds',
    help: 'Time from a subgraph event arriving at the router to its payload being ready for the client (the rest of the plan, shaping)',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  // Shared subscriptions (shared-subscriptions.ts): the subgraph streams behind the client subscriptions, and
  // the runs of the rest of the plan, each serving every subscriber of its group.
  const upstreams = new Gauge({ name: 'router_subscription_upstreams_open', help: 'Open subgraph streams, each shared by the client subscriptions that are the same', registers: [registry] });
  const executions = new Counter({
    name: 'router_subscription_executions_total',
    help: "Runs of a subscription event's rest of plan and shaping; each serves every subscriber of its group (events_total counts the deliveries)",
    registers: [registry],
  });
  return {
    upstreamOpened: () => upstreams.inc(),
    upstreamClosed: () => upstreams.dec(),
    executed: (_members: number) => executions.inc(),
    connectionOpened: (transport: Transport) => connections.inc({ transport }),
    connectionClosed: (transport: Transport) => connections.dec({ transport }),
    subscriptionOpened: (transport: Transport) => subscriptions.inc({ transport }),
    subscriptionClosed: (transport: Transport) => subscriptions.dec({ transport }),
    delivered: (transport: Transport, seconds: number) => {
      events.inc({ transport });
      eventSeconds.observe(seconds);
    },
    ended: (reason: string) => ended.inc({ reason }),
  };
}

export type SubscriptionMetrics = ReturnType<typeof createSubscriptionMetrics>;
