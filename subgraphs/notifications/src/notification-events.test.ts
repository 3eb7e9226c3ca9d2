import { nameBasedUuid } from '@storefront/api-conventions';
import { createTestDatabase, type TestDatabase } from '@storefront/testing';
import { openDatabase, type ServiceDatabase } from '@storefront/prisma-tools';
import { MIGRATIONS_DIR, PrismaClient } from './database.ts';
import { recordDelivery } from './deliveries.ts';
import { createNotification, InvalidNotificationError, orderEventDedupeKey, type NewNotification } from './notification-events.ts';

let database: TestDatabase;
let opened: ServiceDatabase;
let prisma: PrismaClient;
beforeAll(async () => {
  database = await createTestDatabase('notifications_events');
  opened = await openDatabase({ target: { kind: 'postgres', url: database.url }, migrationsDir: MIGRATIONS_DIR, migrate: true, poolSize: 10 });
  prisma = new PrismaClient({ adapter: opened.adapter });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await opened?.close();
  await database?.drop();
});

const userId = nameBasedUuid('test-user', 1);
const event = (n: number, overrides: Partial<NewNotification> = {}): NewNotification => {
  const orderId = nameBasedUuid('test-order', n);
  return {
    userId,
    kind: 'ORDER_PLACED',
    orderId,
    dedupeKey: orderEventDedupeKey(orderId, 'ORDER_PLACED'),
    channels: ['EMAIL', 'IN_APP'],
    message: { orderNumber: `SO-${n}`, amount: { amount: 1_999, currency: 'EUR' } },
    ...overrides,
  };
};

describe('createNotification', () => {
  it('writes the notification from its template with a PENDING delivery per channel', async () => {
    const { notification, created } = await createNotification(prisma, event(1));
    expect(created).toBe(true);
    expect(notification).toMatchObject({
      userId,
      kind: 'ORDER_PLACED',
      orderId: nameBasedUuid('test-order', 1),
      dedupeKey: `order:${nameBasedUuid('test-order', 1)}:ORDER_PLACED`,
      title: 'Order SO-1 placed',
      readAt: null,
    });
    expect(notification.deliveries.map(({ channel, status, attempts, lastError }) => ({ channel, status, attempts, lastError }))).toEqual([
      { channel: 'IN_APP', status: 'PENDING', attempts: 0, lastError: null },
      { channel: 'EMAIL', status: 'PENDING', attempts: 0, lastError: null },
    ]);
  });

  it('returns the first notification again for a redelivered event and writes nothing', async () => {
    const first = await createNotification(prisma, event(2));
    const again = await createNotification(prisma, event(2, { channels: ['IN_APP'] }));
    expect(again.created).toBe(false);
    expect(again.notification).toEqual(first.notification);
    expect(await prisma.notification.count({ where: { dedupeKey: event(2).dedupeKey } })).toBe(1);
    expect(await prisma.delivery.count({ where: { notificationId: first.notification.id } })).toBe(2);
  });

  it('creates exactly one notification when the same event arrives many times at once', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => createNotification(prisma, event(3))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.notification.id)).size).toBe(1);
    for (const result of results) expect(result.notification.deliveries).toHaveLength(2);
    expect(await prisma.notification.count({ where: { dedupeKey: event(3).dedupeKey } })).toBe(1);
  });

  it('refuses malformed events without writing anything', async () => {
    const before = await prisma.notification.count();
    await expect(createNotification(prisma, event(4, { userId: 'nobody' }))).rejects.toBeInstanceOf(InvalidNotificationError);
    await expect(createNotification(prisma, event(4, { channels: [] }))).rejects.toBeInstanceOf(InvalidNotificationError);
    await expect(createNotification(prisma, event(4, { channels: ['EMAIL', 'EMAIL'] }))).rejects.toBeInstanceOf(InvalidNotificationError);
    await expect(
      createNotification(prisma, event(4, { message: { orderNumber: 'SO-4', amount: { amount: 1.5, currency: 'EUR' } } })),
    ).rejects.toBeInstanceOf(InvalidNotificationError);
    expect(await prisma.notification.count()).toBe(before);
  });
});

describe('recordDelivery', () => {
  it('counts attempts, keeps retried failures PENDING, and clears the error once sent', async () => {
    const { notification } = await createNotification(prisma, event(10));
    const retrying = await recordDelivery(prisma, notification.id, 'EMAIL', { sent: false, error: '421 try again later', willRetry: true });
    expect(retrying).toMatchObject({ status: 'PENDING', attempts: 1, lastError: '421 try again later' });
    const sent = await recordDelivery(prisma, notification.id, 'EMAIL', { sent: true });
    expect(sent).toMatchObject({ status: 'SENT', attempts: 2, lastError: null });
    expect(sent!.updatedAt.getTime()).toBeGreaterThanOrEqual(retrying!.updatedAt.getTime());
    // The other channel is untouched.
    expect(await prisma.delivery.findUnique({ where: { notificationId_channel: { notificationId: notification.id, channel: 'IN_APP' } } })).toMatchObject({
      status: 'PENDING',
      attempts: 0,
    });
  });

  it('marks the last failure FAILED', async () => {
    const { notification } = await createNotification(prisma, event(11));
    await recordDelivery(prisma, notification.id, 'EMAIL', { sent: false, error: 'timeout', willRetry: true });
    const failed = await recordDelivery(prisma, notification.id, 'EMAIL', { sent: false, error: '550 mailbox unavailable', willRetry: false });
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 2, lastError: '550 mailbox unavailable' });
  });

  it('leaves a SENT delivery alone when a duplicated job reports again', async () => {
    const { notification } = await createNotification(prisma, event(12));
    await recordDelivery(prisma, notification.id, 'IN_APP', { sent: true });
    const duplicate = await recordDelivery(prisma, notification.id, 'IN_APP', { sent: false, error: 'late failure', willRetry: false });
    expect(duplicate).toMatchObject({ status: 'SENT', attempts: 1, lastError: null });
  });

  it('loses no attempt when reports arrive concurrently', async () => {
    const { notification } = await createNotification(prisma, event(13));
    await Promise.all(
      Array.from({ length: 10 }, () => recordDelivery(prisma, notification.id, 'EMAIL', { sent: false, error: 'busy', willRetry: true })),
    );
    expect(await prisma.delivery.findUnique({ where: { notificationId_channel: { notificationId: notification.id, channel: 'EMAIL' } } })).toMatchObject({
      status: 'PENDING',
      attempts: 10,
    });
  });

  it('returns null for a delivery that does not exist', async () => {
    const { notification } = await createNotification(prisma, event(14, { channels: ['IN_APP'] }));
    expect(await recordDelivery(prisma, notification.id, 'EMAIL', { sent: true })).toBeNull();
    expect(await recordDelivery(prisma, nameBasedUuid('nope', 1), 'IN_APP', { sent: true })).toBeNull();
  });
});
