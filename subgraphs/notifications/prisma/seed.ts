import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { nameBasedUuid } from '@storefront/api-conventions';
import { randomFor, SEED_TIMELINE, SeedNamespace, seedOrders, seedUser, type SeedOrder, type SeedPlan } from '@storefront/seed-world';
import { bulkInsert, chunks, type BulkColumns } from '@storefront/prisma-tools';
import { PrismaClient, type Delivery, type Notification, type NotificationKind, type Recipient } from '../src/database.ts';
import { renderMessage } from '../src/message-templates.ts';
import { orderEventDedupeKey } from '../src/notification-events.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Notifications older than this before the end of the order timeline have been read. */
const READ_AFTER_DAYS = 30;
/** The share of e-mails the (simulated) provider refused for good. */
const EMAIL_FAILURE_RATE = 0.02;

interface OrderEvent {
  kind: NotificationKind;
  at: Date;
}

/**
 * What the store told a user about one order, from its final state: every order was placed; paid ones (and
 * fulfilled ones, which were paid first) were paid an hour later; fulfilled ones shipped when they reached that
 * status; cancelled ones were cancelled then, by a declined payment or at the customer's request.
 */
function eventsOf(order: SeedOrder): OrderEvent[] {
  const paidAt = new Date(order.placedAt.getTime() + HOUR_MS);
  const events: OrderEvent[] = [{ kind: 'ORDER_PLACED', at: order.placedAt }];
  switch (order.status) {
    case 'FULFILLED':
      events.push({ kind: 'ORDER_PAID', at: paidAt }, { kind: 'ORDER_SHIPPED', at: order.updatedAt });
      break;
    case 'PAID':
      events.push({ kind: 'ORDER_PAID', at: paidAt });
      break;
    case 'CANCELLED':
      events.push({ kind: order.cancelReason === 'PAYMENT_DECLINED' ? 'PAYMENT_DECLINED' : 'ORDER_CANCELLED', at: order.updatedAt });
      break;
    case 'PENDING':
    case 'RESERVED':
      break;
  }
  return events;
}

/** Seeded deliveries are finished ones: none is in the middle of a send. */
type SeedDelivery = Omit<Delivery, 'sendClaim' | 'sendingSince'>;

function seedRows(plan: SeedPlan): { notifications: Notification[]; deliveries: SeedDelivery[] } {
  const notifications: Notification[] = [];
  const deliveries: SeedDelivery[] = [];
  const readBefore = SEED_TIMELINE.ordersTo - READ_AFTER_DAYS * DAY_MS;
  let orderIndex = 0;
  for (const order of seedOrders(plan)) {
    for (const { kind, at } of eventsOf(order)) {
      const random = randomFor(`${SeedNamespace.notification}:${kind}`, orderIndex);
      const id = nameBasedUuid(SeedNamespace.notification, `${order.number}:${kind}`);
      const { title, body } = renderMessage(kind, { orderNumber: order.number, amount: { amount: order.totalCents, currency: order.currency } });
      const readAt = at.getTime() < readBefore ? new Date(at.getTime() + Math.floor(random() * 72 * HOUR_MS)) : null;
      notifications.push({ id, userId: order.userId, kind, title, body, orderId: order.id, dedupeKey: orderEventDedupeKey(order.id, kind), readAt, createdAt: at });
      const emailFailed = random() < EMAIL_FAILURE_RATE;
      deliveries.push(
        { notificationId: id, channel: 'IN_APP', status: 'SENT', attempts: 1, lastError: null, updatedAt: at },
        emailFailed
          ? { notificationId: id, channel: 'EMAIL', status: 'FAILED', attempts: 3, lastError: '550 mailbox unavailable', updatedAt: new Date(at.getTime() + HOUR_MS) }
          : { notificationId: id, channel: 'EMAIL', status: 'SENT', attempts: 1, lastError: null, updatedAt: new Date(at.getTime() + 5_000) },
      );
    }
    orderIndex += 1;
  }
  return { notifications, deliveries };
}

/** Rows per INSERT: one array parameter per column (bulkInsert), so a statement's size does not grow with them. */
const ROWS_PER_INSERT = 10_000;

const NOTIFICATION_COLUMNS: BulkColumns<Notification> = [
  ['id', 'id', 'uuid'],
  ['userId', 'user_id', 'uuid'],
  ['kind', 'kind', '"NotificationKind"'],
  ['title', 'title', 'text'],
  ['body', 'body', 'text'],
  ['orderId', 'order_id', 'uuid'],
  ['dedupeKey', 'dedupe_key', 'text'],
  ['readAt', 'read_at', 'timestamptz'],
  ['createdAt', 'created_at', 'timestamptz'],
];

const RECIPIENT_COLUMNS: BulkColumns<Recipient> = [
  ['userId', 'user_id', 'uuid'],
  ['email', 'email', 'text'],
  ['name', 'name', 'text'],
  ['updatedAt', 'updated_at', 'timestamptz'],
];

/**
 * The recipients replica of the seeded users: the same ids, e-mails and names accounts seeds from the shared
 * world, as if their UserRegistered events had been consumed (the live path fills it that way).
 */
function seedRecipients(plan: SeedPlan): Recipient[] {
  return Array.from({ length: plan.users }, (_, index) => {
    const { id, email, name, createdAt } = seedUser(index, plan);
    return { userId: id, email, name, updatedAt: createdAt };
  });
}

const DELIVERY_COLUMNS: BulkColumns<SeedDelivery> = [
  ['notificationId', 'notification_id', 'uuid'],
  ['channel', 'channel', '"NotificationChannel"'],
  ['status', 'status', '"DeliveryStatus"'],
  ['attempts', 'attempts', 'int'],
  ['lastError', 'last_error', 'text'],
  ['updatedAt', 'updated_at', 'timestamptz'],
];

/**
 * Replaces the notifications data with what the store sent about every seeded order (about 85,000
 * notifications and twice as many deliveries at full scale). Everything derives from the shared seed world's
 * orders; dedupe keys are the ones the live path would have produced for the same events. The
 * recipients replica holds every seeded user (the e-mail worker's addresses).
 */
export default async function seed(adapter: SqlDriverAdapterFactory, plan: SeedPlan, log: (message: string) => void) {
  const prisma = new PrismaClient({ adapter });
  try {
    const { notifications, deliveries } = seedRows(plan);
    const recipients = seedRecipients(plan);
    // TRUNCATE instead of DELETE: replacing 250,000 rows row by row takes longer than writing them.
    await prisma.$executeRaw`TRUNCATE TABLE deliveries, notifications, recipients`;
    for (const batch of chunks(recipients, ROWS_PER_INSERT)) await bulkInsert(prisma, 'recipients', RECIPIENT_COLUMNS, batch);
    for (const batch of chunks(notifications, ROWS_PER_INSERT)) await bulkInsert(prisma, 'notifications', NOTIFICATION_COLUMNS, batch);
    for (const batch of chunks(deliveries, ROWS_PER_INSERT)) await bulkInsert(prisma, 'deliveries', DELIVERY_COLUMNS, batch);
    const unread = notifications.filter((n) => n.readAt === null).length;
    const failed = deliveries.filter((d) => d.status === 'FAILED').length;
    log(
      `${recipients.length} recipients, ${notifications.length} notifications (${unread} unread), ${deliveries.length} deliveries (${failed} failed e-mails)`,
    );
  } finally {
    await prisma.$disconnect();
  }
}
