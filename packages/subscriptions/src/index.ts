export { AsyncQueue } from './async-queue.ts';
export { IDENTITY_REFUSED, serveSubgraphSubscriptions } from './subgraph-subscriptions.ts';
export type { SubgraphSubscriptions, SubgraphSubscriptionsOptions } from './subgraph-subscriptions.ts';
export { NotifyToRedisBridge, TopicHub } from './change-feed.ts';
export type { NotifyToRedisBridgeOptions, RedisTopics, TopicHubOptions } from './change-feed.ts';
