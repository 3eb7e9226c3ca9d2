import { readFileSync } from 'node:fs';
import type { Logger } from '@storefront/telemetry';
import { startPrismaSubgraph, TRANSACTION_DEFAULTS, type RunningSubgraph, type SubgraphConfig } from '@storefront/prisma-tools';
import { hostedWorkers, queueConnectionFromEnv } from '@storefront/events';
import { parse } from 'graphql';
import { MIGRATIONS_DIR, PrismaClient } from './database.ts';
import { createWorkers } from './workers.ts';
import { createLoaders } from './loaders.ts';
import { resolvers, type NotificationsContext } from './resolvers.ts';
import { startNotificationFeed } from './subscriptions/notification-added.ts';

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

export const SUBGRAPH_NAME = 'notifications';
export const DEFAULT_PORT = 4007;
export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export async function start(config: SubgraphConfig, logger?: Logger): Promise<RunningSubgraph> {
  const feed = await startNotificationFeed(config, queueConnectionFromEnv(process.env, SUBGRAPH_NAME), logger);
  const running = await startPrismaSubgraph<PrismaClient, NotificationsContext>(
    {
      name: SUBGRAPH_NAME,
      typeDefs,
      resolvers,
      migrationsDir: MIGRATIONS_DIR,
      createClient: (adapter) => new PrismaClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS }),
      background: hostedWorkers(SUBGRAPH_NAME, createWorkers),
      context: (request, prisma) => ({ ...request, prisma, loaders: createLoaders(prisma), notificationsAdded: feed?.hub }),
    },
    config,
    logger,
  ).catch(async (error: unknown) => {
    await feed?.close();
    throw error;
  });
  let closing: Promise<void> | undefined;
  return {
    ...running,
    // The feed goes first: its subscribers are told the stream ended before the server drains.
    close: () => (closing ??= Promise.resolve(feed?.close()).then(() => running.close())),
  };
}
