import { randomUUID } from 'node:crypto';
import { DeadLetterQueue, startServiceWorkers, type QueueConnection, type RunningServiceWorkers } from '@storefront/events';
import { deleteQueueKeys, testQueueConnection } from '@storefront/events/testing';
import { waitFor } from '@storefront/testing';
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from '@storefront/testing';
import { openDatabase, type ServiceDatabase } from '@storefront/prisma-tools';
import { type Job, Queue } from 'bullmq';
import pg from 'pg';
import { MIGRATIONS_DIR, PrismaClient } from './database.ts';
import { claimEmailSend } from './deliveries.ts';
import { EMAIL_DELIVERIES_QUEUE, emailDeliveryId, emailJobOptions, emailMessageId } from './email-deliveries.ts';
import { startSmtpCatcher, type SmtpCatcher } from './mail-catcher/smtp-catcher.ts';
import { DEFAULT_MAIL_FROM, type MailTransport, type OutgoingMail, SmtpMailTransport } from './mail-transport.ts';
import { createNotification, orderEventDedupeKey } from './notification-events.ts';
import { notificationsWorkers } from './workers.ts';

/*
 * One e-mail per notification when the database goes away in the middle of a delivery. The notifications
 * database is cut off as a restart would (every session terminated, new connections refused) right after the
 * mail server accepted a message, and given back once the worker's attempt has failed; the worker must then
 * record the send it already made instead of making it again. Its own database, queues and SMTP servers:
 * cutting the database off must not disturb other tests.
 */

const quiet = { info() {}, warn() {}, error() {} };
/** Retries 0.5, 1, 2 and 4 s apart: time to see an attempt fail and give the database back long before the last. */
const BACKOFF_MS = 500;

/** Passes mail to the server of the moment and runs `afterAccepted` once it has taken a message. */
class TestTransport implements MailTransport {
  readonly kind = 'smtp';
  readonly from = DEFAULT_MAIL_FROM;
  target!: MailTransport;
  afterAccepted: (() => Promise<void>) | undefined;
  sends = 0;
  get deduplicatesMessageIds(): boolean {
    return this.target.deduplicatesMessageIds;
  }
  async send(mail: OutgoingMail) {
    this.sends += 1;
    const info = await this.target.send(mail);
    const after = this.afterAccepted;
    this.afterAccepted = undefined;
    await after?.();
    return info;
  }
  async close() {}
}

let database: TestDatabase;
let databaseName: string;
let admin: pg.Client;
let opened: ServiceDatabase;
let prisma: PrismaClient;
let plain: SmtpCatcher;
let deduplicating: SmtpCatcher;
let plainTransport: SmtpMailTransport;
let deduplicatingTransport: SmtpMailTransport;
const transport = new TestTransport();
let queues: QueueConnection & { prefix: string };
let workers: RunningServiceWorkers;
let emails: Queue;
let deadLetters: DeadLetterQueue;

beforeAll(async () => {
  database = await createTestDatabase('notifications_email_once');
  databaseName = new URL(database.url).pathname.slice(1);
  admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  opened = await openDatabase({ target: { kind: 'postgres', url: database.url }, migrationsDir: MIGRATIONS_DIR, migrate: true, poolSize: 4 });
  prisma = new PrismaClient({ adapter: opened.adapter });
  plain = await startSmtpCatcher();
  deduplicating = await startSmtpCatcher({ dedupeMessageIds: true });
  plainTransport = new SmtpMailTransport(plain.url, DEFAULT_MAIL_FROM);
  deduplicatingTransport = new SmtpMailTransport(deduplicating.url, DEFAULT_MAIL_FROM, { deduplicatesMessageIds: true });
  queues = testQueueConnection('notifications-once');
  workers = await startServiceWorkers('notifications', (runtime) => notificationsWorkers(runtime, { transport, emailBackoffMs: BACKOFF_MS, emailRowWaitMs: 20 }), {
    prisma,
    queues,
    logger: quiet,
    env: {},
  });
  emails = new Queue(EMAIL_DELIVERIES_QUEUE, { connection: queues.connection, prefix: queues.prefix });
  deadLetters = new DeadLetterQueue(EMAIL_DELIVERIES_QUEUE, queues);
});

afterAll(async () => {
  if (admin && databaseName) await admin.query(`ALTER DATABASE "${databaseName}" WITH ALLOW_CONNECTIONS true`).catch(() => {});
  await workers?.close();
  await Promise.all([emails?.close(), deadLetters?.close(), plainTransport?.close(), deduplicatingTransport?.close()]);
  await Promise.all([plain?.close(), deduplicating?.close()]);
  await prisma?.$disconnect();
  await opened?.close();
  await admin?.end();
  await database?.drop();
  if (queues?.prefix) await deleteQueueKeys(queues.prefix);
});

beforeEach(() => {
  transport.sends = 0;
});

/** The database goes away as in a restart: its sessions end and new ones are refused until `restore`. */
async function cutDatabase(): Promise<void> {
  await admin.query(`ALTER DATABASE "${databaseName}" WITH ALLOW_CONNECTIONS false`);
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [databaseName]);
}

async function restoreDatabase(): Promise<void> {
  await admin.query(`ALTER DATABASE "${databaseName}" WITH ALLOW_CONNECTIONS true`);
}

/** A PAID notification whose e-mail is PENDING, for a known recipient. */
async function paidNotification(prefix: string) {
  const userId = randomUUID();
  const email = `${prefix}-${userId.slice(0, 8)}@example.com`;
  await prisma.recipient.create({ data: { userId, email, name: 'Ada Lovelace' } });
  const orderId = randomUUID();
  const { notification } = await createNotification(prisma, {
    userId,
    kind: 'ORDER_PAID',
    orderId,
    dedupeKey: orderEventDedupeKey(orderId, 'ORDER_PAID'),
    channels: ['EMAIL'],
    message: { orderNumber: 'SO-0009100', amount: { amount: 4_200, currency: 'EUR' } },
  });
  return { notificationId: notification.id, email };
}

const enqueue = (notificationId: string) =>
  emails.add('send-email', { notificationId }, { ...emailJobOptions(BACKOFF_MS), jobId: emailDeliveryId(notificationId) });

const jobOf = async (notificationId: string) => (await emails.getJob(emailDeliveryId(notificationId))) as Job | undefined;

const emailDelivery = (notificationId: string) =>
  prisma.delivery.findUniqueOrThrow({ where: { notificationId_channel: { notificationId, channel: 'EMAIL' } } });

async function settledDelivery(notificationId: string, status: 'SENT' | 'FAILED') {
  await waitFor(async () => (await emailDelivery(notificationId)).status === status, `e-mail delivery ${status}`);
  await waitFor(async () => (await jobOf(notificationId))?.finishedOn !== undefined, 'the job to finish');
  return emailDelivery(notificationId);
}

describe('an e-mail delivery that loses its database', () => {
  it('after the server accepted the message: the retry records it as sent and sends nothing again', async () => {
    transport.target = plainTransport; // a server that would deliver a second copy
    const { notificationId, email } = await paidNotification('restart');
    let cut = false;
    transport.afterAccepted = async () => {
      await cutDatabase();
      cut = true;
    };
    await enqueue(notificationId);
    try {
      await waitFor(() => cut, 'the server to accept the message');
      // The attempt could not record SENT (and retries while the database is away fail too).
      await waitFor(async () => ((await jobOf(notificationId))?.attemptsMade ?? 0) >= 1, 'the attempt to fail without its database', 20_000, 10);
    } finally {
      await restoreDatabase();
    }

    const delivery = await settledDelivery(notificationId, 'SENT');
    expect(delivery).toMatchObject({ attempts: 1, lastError: null, sendClaim: null, sendingSince: null });
    expect(transport.sends).toBe(1);
    const received = plain.to(email);
    expect(received).toHaveLength(1);
    expect(received[0]!.messageId).toBe(emailMessageId(notificationId, DEFAULT_MAIL_FROM));
    const job = (await jobOf(notificationId))!;
    expect(job.returnvalue).toMatchObject({ status: 'sent' });
    expect(job.attemptsMade).toBeGreaterThanOrEqual(2);
  });

  it('after the server refused it (421): the retry sends it, once', async () => {
    const { notificationId, email } = await paidNotification('refused');
    let cut = false;
    // The first answer is a refusal, and the database is gone before the worker can record it.
    transport.target = {
      kind: 'smtp',
      from: DEFAULT_MAIL_FROM,
      deduplicatesMessageIds: false,
      send: async () => {
        transport.target = plainTransport;
        await cutDatabase();
        cut = true;
        throw Object.assign(new Error('421 Service not available, try again later'), { responseCode: 421 });
      },
      close: async () => {},
    };
    await enqueue(notificationId);
    try {
      await waitFor(() => cut, 'the refusal');
      await waitFor(async () => ((await jobOf(notificationId))?.attemptsMade ?? 0) >= 1, 'the attempt to fail without its database', 20_000, 10);
    } finally {
      await restoreDatabase();
    }
    const delivery = await settledDelivery(notificationId, 'SENT');
    expect(delivery).toMatchObject({ attempts: 2, lastError: null, sendClaim: null });
    expect(plain.to(email)).toHaveLength(1);
  });
});

describe('an e-mail attempt that died between the server\'s answer and recording it', () => {
  /** What such an attempt leaves: its claim committed, the message at the server, no answer anywhere. */
  async function diedAfterSending(target: MailTransport, prefix: string) {
    const { notificationId, email } = await paidNotification(prefix);
    expect(await claimEmailSend(prisma, notificationId, randomUUID(), null)).toBe(true);
    await target.send({ to: { name: 'Ada Lovelace', address: email }, subject: 'Payment received for SO-0009100', text: 'x', messageId: emailMessageId(notificationId, DEFAULT_MAIL_FROM) });
    return { notificationId, email };
  }

  it('is sent again to a server that drops a Message-ID it already has, which delivers it once', async () => {
    transport.target = deduplicatingTransport;
    const { notificationId, email } = await diedAfterSending(deduplicatingTransport, 'crash-dedupe');
    const dropped = deduplicating.duplicatesDropped;
    await enqueue(notificationId);
    const delivery = await settledDelivery(notificationId, 'SENT');
    expect(delivery).toMatchObject({ attempts: 2, sendClaim: null });
    expect(transport.sends).toBe(1);
    expect(deduplicating.duplicatesDropped).toBe(dropped + 1);
    expect(deduplicating.to(email)).toHaveLength(1);
  });

  it('is not sent again to a server that would deliver it twice: FAILED and dead-lettered for a person', async () => {
    transport.target = plainTransport;
    const { notificationId, email } = await diedAfterSending(plainTransport, 'crash-plain');
    await enqueue(notificationId);
    const delivery = await settledDelivery(notificationId, 'FAILED');
    expect(delivery).toMatchObject({ attempts: 1, sendClaim: null });
    expect(delivery.lastError).toMatch(/may have been sent/);
    expect(transport.sends).toBe(0);
    expect(plain.to(email)).toHaveLength(1);
    await waitFor(async () => (await deadLetters.get(emailDeliveryId(notificationId))) !== undefined, 'the dead letter');
    expect(await deadLetters.get(emailDeliveryId(notificationId))).toMatchObject({ unrecoverable: true, attemptsMade: 1 });
  });
});
