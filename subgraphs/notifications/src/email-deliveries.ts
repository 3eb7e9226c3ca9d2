/*
 * E-mail is a side effect outside the database, so it is not sent in the event's transaction: the consumer
 * writes the notification and its PENDING EMAIL delivery, and queues a job on jobs.email-deliveries whose
 * processor sends and records the outcome (recordEmailOutcome).
 *
 * The job is added from inside the consumer's transaction, before it commits. That ordering is safe because:
 *  - a failed add throws, the transaction rolls back and the event is retried: no delivery without a job;
 *  - the job may start before the commit, or the commit may fail after the add. The processor then finds no
 *    delivery row and postpones itself (moveToDelayed, which spends no attempt) until the row appears. The
 *    event's retry writes the same notification id (derived from the dedupe key, notificationIdFor), so an
 *    early job finds the row its retry commits; re-adding the job is a no-op (jobId = delivery id). A row that
 *    never appears (the event was dead-lettered) ends the job as unrecoverable after ORPHAN_AFTER_MS.
 *
 * Sending is the one step that cannot be rolled back or repeated safely, so each attempt leaves a trail that a
 * later attempt can read (see claimEmailSend):
 *  1. it claims the delivery (send_claim, committed) before it talks to the mail server: no claim, no send;
 *  2. the server's answer goes into the job itself (Redis) before the database: after the database went away
 *     (a restart, a dropped connection), the retry finds the answer there and records SENT without sending;
 *  3. then the outcome is recorded and the claim released.
 * A retry that finds a claim with no answer for it (the worker died during the SMTP exchange or between the
 * server's reply and step 2) cannot know whether the message left. It sends again only when the server drops a Message-ID it already
 * has (MailTransport.deduplicatesMessageIds, a provider's idempotency key); otherwise it marks the delivery
 * FAILED and dead-letters the job for a person, who can requeue it to send anyway. A delivery already SENT is
 * never sent again, and the Message-ID (derived from the delivery id) is the same on every attempt.
 */
import { randomUUID } from 'node:crypto';
import { DelayedError, type Job, type JobsOptions, UnrecoverableError } from 'bullmq';
import { type EventLogger, heavyJobOptions, QueueHandles, type QueueConnection } from '@storefront/events';
import type { PrismaClient } from './database.ts';
import { claimEmailSend, recordDelivery, recordEmailOutcome } from './deliveries.ts';
import { isPermanentMailError, type MailTransport, senderDomain } from './mail-transport.ts';
import { recipientOf } from './recipients.ts';

export const EMAIL_DELIVERIES_QUEUE = 'jobs.email-deliveries';

export interface EmailDeliveryJob {
  notificationId: string;
  /** What the mail server answered the attempt that held `claim`: written here before the database is told. */
  handedOver?: { claim: string; accepted: boolean; messageId: string };
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

/**
 * The producer side: its queue opened on first use, closed with the workers; an add that Redis does not take
 * within QueueHandles' deadline fails the consumer's event, which is retried (the jobId de-duplicates).
 */
export class EmailDeliveryQueue {
  readonly #queues: QueueHandles;
  readonly #jobOptions: JobsOptions;

  constructor(queues: QueueConnection, options: { backoffDelayMs?: number } = {}) {
    this.#queues = new QueueHandles(queues);
    this.#jobOptions = emailJobOptions(options.backoffDelayMs);
  }

  async enqueue(notificationId: string): Promise<void> {
    const job: EmailDeliveryJob = { notificationId };
    await this.#queues.add(EMAIL_DELIVERIES_QUEUE, 'send-email', job, { ...this.#jobOptions, jobId: emailDeliveryId(notificationId) });
  }

  close(): Promise<void> {
    return this.#queues.close();
  }
}

/** How long a job waits for its delivery row to commit before it gives up as an orphan. */
const ORPHAN_AFTER_MS = 10 * 60_000;
/**
 * How long a job whose row is not visible yet waits before looking again: short at first, because the usual
 * cause is the consumer's transaction committing a few milliseconds after the job was added (the job starts at
 * once), then doubling up to ROW_WAIT_MAX_MS for a row that is slow to come or never will.
 */
const ROW_WAIT_MS = 25;
const ROW_WAIT_MAX_MS = 2_000;

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
      const wait = Math.min(rowWaitMs * 2 ** Math.max(0, job.attemptsStarted - 1), Math.max(rowWaitMs, ROW_WAIT_MAX_MS));
      await job.moveToDelayed(Date.now() + wait, token);
      throw new DelayedError();
    }
    if (delivery.status === 'SENT') return { status: 'already-sent' };

    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const messageId = emailMessageId(notificationId, transport.from);
    const previousClaim = delivery.sendClaim;
    if (previousClaim) {
      const answer = job.data.handedOver?.claim === previousClaim ? job.data.handedOver : undefined;
      if (answer?.accepted) {
        // The server took it; only the database did not hear of it (it was away). Record, never resend.
        if (!(await recordEmailOutcome(prisma, notificationId, previousClaim, { sent: true }))) throw new Error(`E-mail delivery ${job.id} changed while recording it`);
        logger.info({ jobId: job.id, messageId: answer.messageId }, 'e-mail accepted by an earlier attempt recorded as sent, not sent again');
        return { status: 'sent', messageId: answer.messageId };
      }
      if (!answer && !transport.deduplicatesMessageIds) {
        const reason =
          `E-mail ${messageId} may have been sent: an attempt since ${delivery.sendingSince?.toISOString() ?? '?'} ended without recording the ` +
          `server's answer, and this server would deliver a second copy. Not resent; requeue the dead letter to send it anyway.`;
        await recordEmailOutcome(prisma, notificationId, previousClaim, { sent: false, error: reason, willRetry: false });
        logger.warn({ jobId: job.id, messageId }, 'e-mail outcome unknown, not resent');
        throw new UnrecoverableError(reason);
      }
      // Refused last time, or the server drops a second copy of this Message-ID: sending again is safe.
    }

    const fail = async (error: Error, permanent: boolean, claim?: string): Promise<never> => {
      const outcome = { sent: false, error: error.message, willRetry: !permanent && !lastAttempt } as const;
      if (claim) await recordEmailOutcome(prisma, notificationId, claim, outcome);
      else await recordDelivery(prisma, notificationId, 'EMAIL', outcome);
      throw permanent ? new UnrecoverableError(error.message) : error;
    };

    const recipient = await recipientOf(prisma, delivery.notification.userId);
    // UserRegistered may still be on its way (it travels another queue path than the order's events).
    if (!recipient) return fail(new Error(`No e-mail address known for user ${delivery.notification.userId}`), false);

    const claim = randomUUID();
    // Taken meanwhile by another run of this job (stalled and re-run while the first still worked): retry later.
    if (!(await claimEmailSend(prisma, notificationId, claim, previousClaim))) throw new Error(`E-mail delivery ${job.id} is being sent by another attempt`);
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
      await job.updateData({ notificationId, handedOver: { claim, accepted: false, messageId } });
      return fail(failure, isPermanentMailError(error), claim);
    }
    await job.updateData({ notificationId, handedOver: { claim, accepted: true, messageId } });
    await recordEmailOutcome(prisma, notificationId, claim, { sent: true });
    return { status: 'sent', messageId };
  };
}
