import { queueConnectionFromEnv } from '@storefront/events';
import { defineSubgraph } from '@storefront/subgraph-runtime';
import * as database from './database.ts';
import { createLoaders } from './loaders.ts';
import { resolvers } from './resolvers.ts';
import { startNotificationFeed } from './subscriptions/notification-added.ts';
import { createWorkers } from './workers.ts';

// The domain API and the background work (consumer + e-mail worker) that workers/ hosts.
export { MIGRATIONS_DIR, PrismaClient } from './database.ts';
export { recordDelivery, type DeliveryOutcome } from './deliveries.ts';
export { renderMessage, type MessageFacts, type Money } from './message-templates.ts';
export {
  createNotification,
  createNotificationIn,
  InvalidNotificationError,
  orderEventDedupeKey,
  welcomeDedupeKey,
  type CreatedNotification,
  type NewNotification,
} from './notification-events.ts';
export { EMAIL_DELIVERIES_QUEUE } from './email-deliveries.ts';
export { NOTIFICATIONS_CONSUMER } from './event-handlers.ts';
export { RecordingMailTransport, SmtpMailTransport, mailTransportFromEnv, type MailTransport } from './mail-transport.ts';
export { createWorkers, notificationsWorkers, type NotificationsWorkersOptions } from './workers.ts';

export const notifications = defineSubgraph({
  entry: import.meta.url,
  database,
  resolvers,
  workers: createWorkers,
  open: async ({ name, config, log, closes }) => ({
    // The feed closes first: its subscribers are told the stream ended before the server drains.
    notificationsAdded: closes(await startNotificationFeed(config, queueConnectionFromEnv(process.env, name), log), 'before-drain')?.hub,
  }),
  context: (request, prisma, { notificationsAdded }) => ({ ...request, prisma, loaders: createLoaders(prisma), notificationsAdded }),
});

export const { name: SUBGRAPH_NAME, port: DEFAULT_PORT, typeDefs, start } = notifications;
