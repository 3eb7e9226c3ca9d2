import { NotifyToRedisBridge, TopicHub, type RedisTopics } from '@storefront/subscriptions';
import { openQueueRedis, type IoredisTarget } from '@storefront/events';
import { requireViewer } from '@storefront/identity';
import { createLogger, type Logger } from '@storefront/telemetry';
import type { SubgraphConfig } from '@storefront/subgraph-runtime';
import { GraphQLError } from 'graphql';
import { z } from 'zod';
import type { Notification } from '../database.ts';
import { createLoaders } from '../loaders.ts';
import type { NotificationsContext } from '../resolvers.ts';

/*
 * Subscription.notificationAdded: each new in-app notification of the signed-in user, once it is committed (a
 * trigger on notifications, migration 20261202030000, through Redis like orders' feed). The bell counts up;
 * notifications created while a client is disconnected are in User.notifications when it re-queries.
 */

export const NOTIFICATIONS_ADDED_CHANNEL = 'notifications_added';

const addedSchema = z.object({ userId: z.uuid(), notificationId: z.uuid() });
export type NotificationAdded = z.output<typeof addedSchema>;

export function parseNotificationAdded(text: string): NotificationAdded | undefined {
  try {
    const parsed = addedSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const userTopic = (userId: string) => `notifications:added:${userId}`;

export type NotificationHub = TopicHub<NotificationAdded>;

interface NotificationAddedEvent {
  notificationAdded: NotificationAdded;
}

async function* added(queue: AsyncIterableIterator<NotificationAdded>): AsyncGenerator<NotificationAddedEvent> {
  // Each replica's bridge publishes every notification: one already delivered is a copy.
  const delivered = new Set<string>();
  try {
    for await (const notification of queue) {
      if (delivered.has(notification.notificationId)) continue;
      delivered.add(notification.notificationId);
      yield { notificationAdded: notification };
    }
  } finally {
    await queue.return?.();
  }
}

export const notificationAddedResolvers = {
  notificationAdded: {
    async subscribe(_: unknown, __: unknown, context: NotificationsContext): Promise<AsyncGenerator<NotificationAddedEvent>> {
      const viewer = requireViewer(context.viewer);
      if (!context.notificationsAdded) throw new GraphQLError('Notification updates are not available on this server', { extensions: { code: 'SERVICE_UNAVAILABLE' } });
      return added(await context.notificationsAdded.watch([userTopic(viewer.userId)]));
    },
    async resolve({ notificationAdded }: NotificationAddedEvent, _: unknown, context: NotificationsContext): Promise<Notification> {
      context.loaders = createLoaders(context.prisma);
      const notification = await context.loaders.notificationById.load(notificationAdded.notificationId);
      if (!notification) throw new GraphQLError('No such notification', { extensions: { code: 'NOT_FOUND' } });
      return notification;
    },
  },
};

export interface RunningNotificationFeed {
  hub: NotificationHub;
  close(): Promise<void>;
}

/** The feed of a notifications process on Postgres (none on the embedded database: notificationAdded is unavailable). */
export async function startNotificationFeed(
  config: SubgraphConfig,
  queues: IoredisTarget & { prefix?: string },
  logger: Logger | undefined,
): Promise<RunningNotificationFeed | undefined> {
  if (config.database.kind !== 'postgres') return undefined;
  const log = (logger ?? createLogger({ service: 'notifications', level: config.logLevel })).child({ role: 'notification-feed' });
  // connect: the queues' one ioredis factory, so a Redis Cluster (REDIS_CLUSTER_NODES) carries the topics too.
  const redis: RedisTopics = { options: queues.connection, prefix: queues.prefix ?? 'storefront', connect: (overrides) => openQueueRedis(queues, overrides) };
  const hub = new TopicHub<NotificationAdded>({ redis, parse: parseNotificationAdded, logger: log });
  const bridge = new NotifyToRedisBridge({
    databaseUrl: config.database.url,
    channel: NOTIFICATIONS_ADDED_CHANNEL,
    redis,
    topicOf: (payload) => {
      const notification = parseNotificationAdded(payload);
      return notification && userTopic(notification.userId);
    },
    logger: log,
  });
  await bridge.start();
  return { hub, close: async () => void (await Promise.all([hub.close(), bridge.close()])) };
}
