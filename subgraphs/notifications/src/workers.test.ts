import { randomUUID } from 'node:crypto';
import {
  DeadLetterQueue,
  defineEvent,
  EVENT_JOB_OPTIONS,
  startServiceWorkers,
  type DomainEvent,
  type QueueConnection,
  type RunningServiceWorkers,
} from '@storefront/events';
import { waitFor } from '@storefront/testing';
import { createTestDatabase, type TestDatabase } from '@storefront/testing';
import { openDatabase, type ServiceDatabase } from '@storefront/prisma-tools';
import { type Job, Queue } from 'bullmq';
import { deleteQueueKeys, testQueueConnection } from '@storefront/events/testing';
import { MIGRATIONS_DIR, PrismaClient } from './database.ts';
import { EMAIL_DELIVERIES_QUEUE, emailDeliveryId, emailJobOptions } from './email-deliveries.ts';
import { NOTIFICATIONS_CONSUMER, notificationForStatusChange } from './event-handlers.ts';
import { DEFAULT_MAIL_FROM, mailTransportFromEnv, RecordingMailTransport, SmtpMailTransport } from './mail-transport.ts';
import { createNotification, notificationIdFor, orderEventDedupeKey } from './notification-events.ts';
import { startSmtpCatcher, type SmtpCatcher } from './mail-catcher/smtp-catcher.ts';
import { notificationsWorkers } from './workers.ts';

/*
 * The notifications consumer and the e-mail worker against real Postgres, Redis and SMTP: events are put on
 * events.notifications as a relay would, e-mails go over SMTP to a local catcher (smtp-server) that refuses
 * bounce-* recipients with 550 and flaky-* ones with 421 the first time.
 */

const quiet = { info() {}, warn() {}, error() {} };

let database: TestDatabase;
let opened: ServiceDatabase;
let prisma: PrismaClient;
let catcher: SmtpCatcher;
let workers: RunningServiceWorkers;
let queues: QueueConnection;
let events: Queue;
let emails: Queue;
let emailDeadLetters: DeadLetterQueue;

beforeAll(async () => {
  database = await createTestDatabase('notifications_workers');
  opened = await openDatabase({ target: { kind: 'postgres', url: database.url }, migrationsDir: MIGRATIONS_DIR, migrate: true, poolSize: 10 });
  prisma = new PrismaClient({ adapter: opened.adapter });
  catcher = await startSmtpCatcher();
  queues = testQueueConnection('notifications');
  const transport = new SmtpMailTransport(catcher.url, DEFAULT_MAIL_FROM);
  workers = await startServiceWorkers(
    'notifications',
    (runtime) => notificationsWorkers(runtime, { transport, emailBackoffMs: 20, emailRowWaitMs: 20 }),
    { prisma, queues, logger: quiet, env: {} },
  );
  events = new Queue(`events.${NOTIFICATIONS_CONSUMER}`, { connection: queues.connection, prefix: queues.prefix });
  emails = new Queue(EMAIL_DELIVERIES_QUEUE, { connection: queues.connection, prefix: queues.prefix });
  emailDeadLetters = new DeadLetterQueue(EMAIL_DELIVERIES_QUEUE, queues);
});

afterAll(async () => {
  await workers?.close();
  await Promise.all([events?.close(), emails?.close(), emailDeadLetters?.close()]);
  await catcher?.close();
  await prisma?.$disconnect();
  await opened?.close();
  await database?.drop();
  if (queues?.prefix) await deleteQueueKeys(queues.prefix);
});

const stateOf = async (queue: Queue, jobId: string) => ((await queue.getJob(jobId)) as Job | undefined)?.getState();

/** Puts `event` on the consumer's queue as the relay does and waits until the consumer has handled it. */
async function deliver(event: DomainEvent): Promise<void> {
  await events.add(event.type, event, { ...EVENT_JOB_OPTIONS, jobId: event.id });
  await waitFor(async () => (await stateOf(events, event.id)) === 'completed', `${event.type} ${event.id} handled`);
}

/** A known user in the recipients replica, as UserRegistered (or the seed) would have left it. */
async function recipient(prefix: string) {
  const userId = randomUUID();
  const email = `${prefix}-${userId.slice(0, 8)}@example.com`;
  await prisma.recipient.create({ data: { userId, email, name: 'Ada Lovelace' } });
  return { userId, email };
}

type Change = DomainEvent<'OrderStatusChanged'>['payload'];
function statusChanged(userId: string, change: Partial<Change> = {}): DomainEvent<'OrderStatusChanged', 1> {
  const orderId = change.orderId ?? randomUUID();
  return defineEvent({
    type: 'OrderStatusChanged',
    version: 1,
    source: 'orders',
    aggregateId: orderId,
    correlationId: null,
    payload: { orderId, userId, from: 'RESERVED', to: 'PAID', reason: null, orderNumber: 'SO-0009001', total: { amount: 4_200, currency: 'EUR' }, ...change },
  });
}

const emailDelivery = (notificationId: string) =>
  prisma.delivery.findUnique({ where: { notificationId_channel: { notificationId, channel: 'EMAIL' } } });

async function waitForEmailDelivery(notificationId: string, status: 'SENT' | 'FAILED') {
  await waitFor(async () => (await emailDelivery(notificationId))?.status === status, `e-mail delivery ${status}`);
  return (await emailDelivery(notificationId))!;
}

const pendingEmailJobs = async () => {
  const counts = await emails.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
};

describe('order status changes', () => {
  it('PAID delivered twice (and re-announced by another event) makes one notification and one e-mail', async () => {
    const { userId, email } = await recipient('paid');
    const paid = statusChanged(userId);
    await deliver(paid);
    const notification = await prisma.notification.findFirstOrThrow({ where: { orderId: paid.payload.orderId }, include: { deliveries: true } });
    expect(notification).toMatchObject({ kind: 'ORDER_PAID', title: 'Payment received for SO-0009001', userId });
    expect(notification.body).toBe('We received your payment of €42.00 for order SO-0009001. Your order is confirmed.');
    expect(notification.deliveries.find((d) => d.channel === 'IN_APP')).toMatchObject({ status: 'SENT', attempts: 1 });
    expect(await waitForEmailDelivery(notification.id, 'SENT')).toMatchObject({ attempts: 1, lastError: null });

    // The relay republishes after retention removed the completed job: same event id, second delivery.
    await (await events.getJob(paid.id))!.remove();
    await deliver(paid);
    // Another event for the same transition (e.g. a replayed saga step): another id, same dedupe key.
    await deliver(statusChanged(userId, { orderId: paid.payload.orderId }));
    expect(await pendingEmailJobs()).toBe(0);

    expect(await prisma.notification.count({ where: { orderId: paid.payload.orderId } })).toBe(1);
    expect(await prisma.delivery.count({ where: { notificationId: notification.id } })).toBe(2);
    const sent = catcher.to(email);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ subject: 'Payment received for SO-0009001', messageId: `<email-${notification.id}@storefront.local>` });
    expect(sent[0]!.text).toContain('Hi Ada Lovelace,');
    expect(sent[0]!.text).toContain('We received your payment of €42.00 for order SO-0009001.');
  });

  it('CANCELLED tells the customer why, in the app and by e-mail', async () => {
    const { userId, email } = await recipient('cancelled');
    const cancelled = statusChanged(userId, { from: 'RESERVED', to: 'CANCELLED', reason: 'OUT_OF_STOCK', orderNumber: 'SO-0009002' });
    await deliver(cancelled);
    const notification = await prisma.notification.findFirstOrThrow({ where: { orderId: cancelled.payload.orderId } });
    expect(notification.kind).toBe('ORDER_CANCELLED');
    expect(notification.body).toContain('was cancelled because some of its items were out of stock');
    await waitForEmailDelivery(notification.id, 'SENT');
    expect(catcher.to(email)[0]!.subject).toBe('Order SO-0009002 cancelled');
    expect(catcher.to(email)[0]!.text).toContain('because some of its items were out of stock');
  });

  it('ignores the transitions nobody is told about', async () => {
    const { userId } = await recipient('ignored');
    const reserved = statusChanged(userId, { from: 'PENDING', to: 'RESERVED' });
    await deliver(reserved);
    expect(await prisma.notification.count({ where: { orderId: reserved.payload.orderId } })).toBe(0);
  });
});

describe('e-mail delivery', () => {
  it('a permanent SMTP refusal (550) fails the delivery at once and dead-letters the job', async () => {
    const { userId, email } = await recipient('bounce');
    const paid = statusChanged(userId);
    await deliver(paid);
    const notification = await prisma.notification.findFirstOrThrow({ where: { orderId: paid.payload.orderId } });
    const failed = await waitForEmailDelivery(notification.id, 'FAILED');
    expect(failed.attempts).toBe(1);
    expect(failed.lastError).toMatch(/550/);
    await waitFor(async () => (await emailDeadLetters.get(emailDeliveryId(notification.id))) !== undefined, 'dead letter');
    expect(await emailDeadLetters.get(emailDeliveryId(notification.id))).toMatchObject({ unrecoverable: true, attemptsMade: 1, jobName: 'send-email' });
    expect(catcher.to(email)).toHaveLength(0);
  });

  it('a transient failure (421) is retried and the e-mail sent once', async () => {
    const { userId, email } = await recipient('flaky');
    const paid = statusChanged(userId);
    await deliver(paid);
    const notification = await prisma.notification.findFirstOrThrow({ where: { orderId: paid.payload.orderId } });
    const sent = await waitForEmailDelivery(notification.id, 'SENT');
    expect(sent).toMatchObject({ attempts: 2, lastError: null });
    expect(catcher.to(email)).toHaveLength(1);
    expect(await emailDeadLetters.get(emailDeliveryId(notification.id))).toBeUndefined();
  });

  it('a job that runs before its delivery row is committed waits for it without spending an attempt', async () => {
    const { userId, email } = await recipient('early');
    const orderId = randomUUID();
    const dedupeKey = orderEventDedupeKey(orderId, 'ORDER_PAID');
    const notificationId = notificationIdFor(dedupeKey);
    await emails.add('send-email', { notificationId }, { ...emailJobOptions(20), jobId: emailDeliveryId(notificationId) });
    await waitFor(async () => ((await emails.getJob(emailDeliveryId(notificationId))) as Job | undefined)?.attemptsStarted !== 0, 'the job to start');
    await createNotification(prisma, {
      userId,
      kind: 'ORDER_PAID',
      orderId,
      dedupeKey,
      channels: ['IN_APP', 'EMAIL'],
      message: { orderNumber: 'SO-0009003' },
    });
    expect(await waitForEmailDelivery(notificationId, 'SENT')).toMatchObject({ attempts: 1 });
    expect(catcher.to(email)).toHaveLength(1);
    // It ran at least twice (once before the row existed), yet only the run that sent counts as an attempt.
    // The delivery row is written inside the processor, just before BullMQ marks the job completed.
    await waitFor(async () => ((await emails.getJob(emailDeliveryId(notificationId))) as Job | undefined)?.finishedOn !== undefined, 'the job to finish');
    const job = (await emails.getJob(emailDeliveryId(notificationId))) as Job;
    expect(job.attemptsStarted).toBeGreaterThanOrEqual(2);
    expect(job.attemptsMade).toBe(1);
  });
});

describe('UserRegistered', () => {
  it('fills the recipients replica and sends a welcome e-mail', async () => {
    const userId = randomUUID();
    const email = `welcome-${userId.slice(0, 8)}@example.com`;
    const registered = defineEvent({
      type: 'UserRegistered',
      version: 1,
      source: 'accounts',
      aggregateId: userId,
      correlationId: null,
      payload: { userId, email, name: 'Grace Hopper' },
    });
    await deliver(registered);
    expect(await prisma.recipient.findUnique({ where: { userId } })).toMatchObject({ email, name: 'Grace Hopper' });
    const welcome = await prisma.notification.findFirstOrThrow({ where: { userId, kind: 'WELCOME' } });
    expect(welcome.title).toBe('Welcome to Storefront, Grace Hopper');
    await waitForEmailDelivery(welcome.id, 'SENT');
    expect(catcher.to(email)).toHaveLength(1);
    expect(catcher.to(email)[0]!.text).toContain('Hi Grace Hopper,');
  });
});

describe('which message a status change deserves', () => {
  const userId = randomUUID();
  const orderId = randomUUID();
  const change = (to: Change['to'], reason: Change['reason'] = null): Change => ({ orderId, userId, from: 'RESERVED', to, reason });

  it('maps PAID and CANCELLED, and nothing else', () => {
    expect(notificationForStatusChange(change('PAID'))).toMatchObject({ kind: 'ORDER_PAID', dedupeKey: `order:${orderId}:ORDER_PAID` });
    expect(notificationForStatusChange(change('CANCELLED', 'PAYMENT_TIMEOUT'))).toMatchObject({ kind: 'ORDER_CANCELLED', message: { reason: 'PAYMENT_TIMEOUT' } });
    expect(notificationForStatusChange(change('CANCELLED', 'PAYMENT_DECLINED'))).toMatchObject({ kind: 'PAYMENT_DECLINED' });
    expect(notificationForStatusChange(change('RESERVED'))).toBeNull();
    expect(notificationForStatusChange(change('FULFILLED'))).toBeNull();
  });

  it('falls back to the order id when an older event carries no order number', () => {
    expect(notificationForStatusChange(change('PAID'))!.message.orderNumber).toBe(orderId.slice(0, 8).toUpperCase());
  });
});

describe('the mail transport', () => {
  it('records messages in memory without SMTP_URL outside production, and requires SMTP_URL in production', async () => {
    const lines: object[] = [];
    const transport = mailTransportFromEnv({ NODE_ENV: 'test' }, { ...quiet, info: (details) => lines.push(details) });
    expect(transport).toBeInstanceOf(RecordingMailTransport);
    expect(transport.from).toBe(DEFAULT_MAIL_FROM);
    await transport.send({ to: { name: 'Ada', address: 'ada@example.com' }, subject: 'Hello', text: 'Hi', messageId: '<m-1@storefront.local>' });
    expect((transport as RecordingMailTransport).messages).toMatchObject([{ to: { address: 'ada@example.com' }, subject: 'Hello', messageId: '<m-1@storefront.local>' }]);
    expect(lines).toEqual([expect.objectContaining({ to: 'ada@example.com', messageId: '<m-1@storefront.local>' })]);
    await transport.close();

    expect(() => mailTransportFromEnv({ NODE_ENV: 'production' }, quiet)).toThrow(/SMTP_URL/);
    expect(() => mailTransportFromEnv({ SMTP_URL: 'http://mail' }, quiet)).toThrow(/SMTP_URL/);
    const smtp = mailTransportFromEnv({ NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:1025', MAIL_FROM: 'Shop <shop@shop.example>' }, quiet);
    expect(smtp).toMatchObject({ kind: 'smtp', from: 'Shop <shop@shop.example>' });
    await smtp.close();
  });
});
