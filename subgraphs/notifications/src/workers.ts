import { defineConsumer, defineJob, type ServiceWorkers, type ServiceWorkersFactory, type WorkerRuntime } from '@storefront/events';
import type { Prisma, PrismaClient } from './database.ts';
import { EMAIL_DELIVERIES_QUEUE, EmailDeliveryQueue, emailDeliveryProcessor, type EmailDeliveryJob, type EmailDeliveryResult } from './email-deliveries.ts';
import { NOTIFICATIONS_CONSUMER, notificationHandlers } from './event-handlers.ts';
import { mailTransportFromEnv, type MailTransport } from './mail-transport.ts';

export interface NotificationsWorkersOptions {
  /** Where e-mail goes; from SMTP_URL / MAIL_FROM when absent (see mail-transport.ts). */
  transport?: MailTransport;
  /** Base delay of the e-mail jobs' exponential backoff (tests shorten it). */
  emailBackoffMs?: number;
  /** How long an e-mail job whose delivery row is not committed yet waits before looking again. */
  emailRowWaitMs?: number;
}

/**
 * notifications' background work: the `notifications` consumer (order status changes and new users become
 * notifications, UserRegistered also feeds the recipients replica) and the jobs.email-deliveries worker that
 * sends them. No outbox: notifications publishes nothing.
 */
export function notificationsWorkers(runtime: WorkerRuntime<PrismaClient>, options: NotificationsWorkersOptions = {}): ServiceWorkers {
  const transport = options.transport ?? mailTransportFromEnv(runtime.env, runtime.logger);
  const emails = new EmailDeliveryQueue(runtime.queues, { backoffDelayMs: options.emailBackoffMs });
  return {
    consumers: [
      defineConsumer<Prisma.TransactionClient>({ consumer: NOTIFICATIONS_CONSUMER, db: runtime.prisma, handlers: notificationHandlers(emails) }),
    ],
    jobs: [
      defineJob<EmailDeliveryJob, EmailDeliveryResult>({
        queue: EMAIL_DELIVERIES_QUEUE,
        processor: emailDeliveryProcessor({ prisma: runtime.prisma, transport, logger: runtime.logger, rowWaitMs: options.emailRowWaitMs }),
        // Sending is waiting on a server, not CPU: a few at once per process.
        concurrency: 5,
      }),
    ],
    schedules: [],
    relay: false,
    async close() {
      await emails.close();
      await transport.close();
    },
  };
}

export const createWorkers: ServiceWorkersFactory<PrismaClient> = (runtime) => notificationsWorkers(runtime);
