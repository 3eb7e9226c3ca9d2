import { type DomainEvent, type EventHandlers } from '@storefront/events';
import { UnrecoverableError } from 'bullmq';
import type { NotificationKind, Prisma } from './database.ts';
import { recordDelivery } from './deliveries.ts';
import type { EmailDeliveryQueue } from './email-deliveries.ts';
import {
  createNotificationIn,
  InvalidNotificationError,
  orderEventDedupeKey,
  welcomeDedupeKey,
  type NewNotification,
} from './notification-events.ts';
import { upsertRecipient } from './recipients.ts';

/** The consumer group (queue events.notifications); its subscriptions are in STORE_SUBSCRIPTIONS. */
export const NOTIFICATIONS_CONSUMER = 'notifications';

type StatusChange = DomainEvent<'OrderStatusChanged'>['payload'];

/**
 * The message an order's status change deserves, or null for transitions nobody is told about. A
 * cancellation for a declined payment is the PAYMENT_DECLINED message (as the seed writes it), any other
 * the ORDER_CANCELLED one with the reason in words.
 */
export function notificationForStatusChange(change: StatusChange): NewNotification | null {
  let kind: NotificationKind;
  if (change.to === 'PAID') kind = 'ORDER_PAID';
  else if (change.to === 'CANCELLED') kind = change.reason === 'PAYMENT_DECLINED' ? 'PAYMENT_DECLINED' : 'ORDER_CANCELLED';
  else return null;
  return {
    userId: change.userId,
    kind,
    orderId: change.orderId,
    dedupeKey: orderEventDedupeKey(change.orderId, kind),
    channels: ['IN_APP', 'EMAIL'],
    message: {
      // orderNumber and total were added to v1 later: older events fall back to the id's start.
      orderNumber: change.orderNumber ?? change.orderId.slice(0, 8).toUpperCase(),
      amount: change.total,
      reason: change.reason,
    },
  };
}

/**
 * Writes the notification and its deliveries through the event's transaction: IN_APP is delivered by the
 * row itself (marked SENT in the same transaction), EMAIL is queued for the e-mail worker while PENDING
 * (again on a redelivery: the job id de-duplicates, and a job lost with a rolled-back attempt is re-added).
 */
async function notify(tx: Prisma.TransactionClient, emails: EmailDeliveryQueue, input: NewNotification): Promise<void> {
  let created;
  try {
    created = await createNotificationIn(tx, input);
  } catch (error) {
    // Built from a validated event, so this is a bug to look at, not something a retry fixes.
    if (error instanceof InvalidNotificationError) throw new UnrecoverableError(error.message);
    throw error;
  }
  const { notification } = created;
  for (const delivery of notification.deliveries) {
    if (delivery.status !== 'PENDING') continue;
    if (delivery.channel === 'IN_APP') await recordDelivery(tx, notification.id, 'IN_APP', { sent: true });
    else await emails.enqueue(notification.id);
  }
}

export function notificationHandlers(emails: EmailDeliveryQueue): EventHandlers<Prisma.TransactionClient> {
  return {
    OrderStatusChanged: async (event, tx) => {
      const input = notificationForStatusChange(event.payload);
      if (input) await notify(tx, emails, input);
    },
    UserRegistered: async (event, tx) => {
      const { userId, email, name } = event.payload;
      await upsertRecipient(tx, { userId, email, name });
      await notify(tx, emails, {
        userId,
        kind: 'WELCOME',
        dedupeKey: welcomeDedupeKey(userId),
        channels: ['IN_APP', 'EMAIL'],
        message: { name },
      });
    },
  };
}
