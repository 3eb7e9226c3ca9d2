/*
 * E-mail is a side effect outside the database, so it is not sent in the event's transaction: the consumer
 * writes the notification and its PENDING EMAIL delivery, and queues a job on jobs.email-deliveries whose
 * processor sends and records the outcome (recordDelivery).
 *
 * The job is added from inside the consumer's transaction, before it commits. That ordering is safe because:
 *  - a failed add throws, the transaction rolls back and the event is retried: no delivery without a job;
 *  - the job may start before the commit, or the commit may fail after the add. The processor then finds no
 *    delivery row and postpones itself (moveToDelayed, which spends no attempt) until the row appears. The
 *    event's retry writes the same notification id (derived from the dedupe key, notificationIdFor), so an
 *    early job finds the row its retry commits; re-adding the job is a no-op (jobId = delivery id). A row that
 *    never appears (the event was dead-lettered) ends the job as unrecoverable after ORPHAN_AFTER_MS;
 *  - a job that sent but died before recording SENT runs again and sends again: the message keeps its
 *    Message-ID (derived from the delivery id), so the receiving side can recognise the duplicate. A delivery
 *    already SENT is never sent again.
 */
import { DelayedError, type Job, type JobsOptions, type Queue, UnrecoverableError } from 'bullmq';
import { type EventLogger, heavyJobOptions, openQueue, type QueueConnection } from '@storefront/events';
import type { PrismaClient } from './database.ts';
import { recordDelivery } from './deliveries.ts';
import { isPermanentMailError, type MailTransport, senderDomain } from './mail-transport.ts';
import { recipientOf } from './recipients.ts';

export const EMAIL_DELIVERIES_QUEUE = 'jobs.email-deliveries';

export interface EmailDeliveryJob {
  notificationId: string;
}

export interface EmailDeliveryResult {
  status: 'sent' | 'already-sent';
  messageId?: string;
}

/** The EMAIL delivery's id: its job id (BullMQ forbids ':' in custom ids) and the root of its Message-ID. */
export const emailDeliveryId = (notificationId: string): string => `email-${notificationId}`;

export const emailMessageId = (notificationId: string, from: string): string => `<${emailDeliveryId(notificationId)}@${senderDomain(from)}>`;

/** Sends are tried 5 times, 2 s, 4 s, 8 s, 16 s apart: about half a minute of a mail server's hiccup. */
export const EMAIL_ATTEMPTS = 5;
export const EMAIL_BACKOFF_MS = 2_000;

/** Past BullMQ's retention of a finished job, a SENT delivery is skipped anyway. */
export function emailJobOptions(backoffDelayMs: number = EMAIL_BACKOFF_MS): JobsOptions {
  return heavyJobOptions({ attempts: EMAIL_ATTEMPTS, backoffMs: backoffDelayMs });
}

/** The producer side: one Queue, opened on first use, closed with the workers. */
export class EmailDeliveryQueue {
  readonly #queues: QueueConnection;
  readonly #jobOptions: JobsOptions;
  #queue: Queue<EmailDeliveryJob> | undefined;

  constructor(queues: QueueConnection, options: { backoffDelayMs?: number } = {}) {
    this.#queues = queues;
    this.#jobOptions = emailJobOptions(options.backoffDelayMs);
  }

  async enqueue(notificationId: string): Promise<void> {
    this.#queue ??= openQueue<EmailDeliveryJob>(EMAIL_DELIVERIES_QUEUE, this.#queues);
    await this.#queue.add('send-email', { notificationId }, { ...this.#jobOptions, jobId: emailDeliveryId(notificationId) });
  }

  async close(): Promise<void> {
    await this.#queue?.close();
  }
}

/** How long a job waits for its delivery row to commit before it gives up as an orphan. */
const ORPHAN_AFTER_MS = 10 * 60_000;
/** How long a job whose row is not visible yet waits before looking again. */
const ROW_WAIT_MS = 500;

export interface EmailDeliveryProcessorOptions {
  prisma: PrismaClient;
  transport: MailTransport;
  logger: EventLogger;
  orphanAfterMs?: number;
  rowWaitMs?: number;
}

const greeting = (name: string, body: string) => `Hi ${name},\n\n${body}\n\n— Storefront\n`;

/** The jobs.email-deliveries processor: send once through the transport, record every attempt. */
export function emailDeliveryProcessor(options: EmailDeliveryProcessorOptions) {
  const { prisma, transport, logger } = options;
  const orphanAfterMs = options.orphanAfterMs ?? ORPHAN_AFTER_MS;
  const rowWaitMs = options.rowWaitMs ?? ROW_WAIT_MS;

  return async (job: Job<EmailDeliveryJob, EmailDeliveryResult>, token?: string): Promise<EmailDeliveryResult> => {
    const { notificationId } = job.data;
    const delivery = await prisma.delivery.findUnique({
      where: { notificationId_channel: { notificationId, channel: 'EMAIL' } },
      include: { notification: { select: { userId: true, title: true, body: true } } },
    });
    if (!delivery) {
      if (Date.now() - job.timestamp > orphanAfterMs) {
        throw new UnrecoverableError(`Delivery ${emailDeliveryId(notificationId)} was never committed (its event was not applied)`);
      }
      // The consumer's transaction that queued this job has not committed yet (see the top of this file).
      await job.moveToDelayed(Date.now() + rowWaitMs, token);
      throw new DelayedError();
    }
    if (delivery.status === 'SENT') return { status: 'already-sent' };

    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const fail = async (error: Error, permanent: boolean): Promise<never> => {
      await recordDelivery(prisma, notificationId, 'EMAIL', { sent: false, error: error.message, willRetry: !permanent && !lastAttempt });
      throw permanent ? new UnrecoverableError(error.message) : error;
    };

    const recipient = await recipientOf(prisma, delivery.notification.userId);
    // UserRegistered may still be on its way (it travels another queue path than the order's events).
    if (!recipient) return fail(new Error(`No e-mail address known for user ${delivery.notification.userId}`), false);

    const messageId = emailMessageId(notificationId, transport.from);
    try {
      await transport.send({
        to: { name: recipient.name, address: recipient.email },
        subject: delivery.notification.title,
        text: greeting(recipient.name, delivery.notification.body),
        messageId,
      });
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      logger.warn({ jobId: job.id, attemptsMade: job.attemptsMade + 1, err: failure.message }, 'e-mail not sent');
      return fail(failure, isPermanentMailError(error));
    }
    await recordDelivery(prisma, notificationId, 'EMAIL', { sent: true });
    return { status: 'sent', messageId };
  };
}
