/*
 * How notifications come into being. The workers (next milestone) consume order events from the queue and call
 * `createNotification` once per event, then send on each channel and report every attempt with
 * `recordDelivery` (deliveries.ts). Queues deliver at least once, so both calls are safe to repeat:
 * a redelivered event finds its notification by dedupe key, and a delivery that was sent stays sent.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  NotificationChannel,
  NotificationKind,
  type Delivery,
  type Notification,
  type PrismaClient,
} from './database.ts';
import { renderMessage, type MessageFacts } from './message-templates.ts';

/**
 * The dedupe key of a notification caused by an order event: one notification per order and kind, however
 * often the event is delivered.
 */
export function orderEventDedupeKey(orderId: string, kind: NotificationKind): string {
  return `order:${orderId}:${kind}`;
}

export interface NewNotification {
  userId: string;
  kind: NotificationKind;
  orderId?: string | null;
  /** The identity of the causing event, e.g. orderEventDedupeKey(orderId, kind). */
  dedupeKey: string;
  /** Where to deliver it; each channel starts PENDING. */
  channels: readonly NotificationChannel[];
  /** What the message template needs (order number, amount). */
  message: MessageFacts;
}

const newNotificationSchema = z.object({
  userId: z.uuid(),
  kind: z.enum(NotificationKind),
  orderId: z.uuid().nullish(),
  dedupeKey: z.string().min(1).max(200),
  channels: z
    .array(z.enum(NotificationChannel))
    .min(1)
    .refine((channels) => new Set(channels).size === channels.length, 'Each channel at most once'),
  message: z.object({
    orderNumber: z.string().min(1).max(64),
    amount: z.object({ amount: z.number().int(), currency: z.string().regex(/^[A-Z]{3}$/) }),
  }),
});

/** A malformed event: retrying cannot help, so workers should dead-letter it rather than retry. */
export class InvalidNotificationError extends Error {
  override name = 'InvalidNotificationError';
}

export type NotificationWithDeliveries = Notification & { deliveries: Delivery[] };

export interface CreatedNotification {
  notification: NotificationWithDeliveries;
  /** False when the dedupe key was already known: the event was a redelivery and nothing was written. */
  created: boolean;
}

/**
 * Writes a notification and its PENDING deliveries in one transaction, or returns the one an earlier delivery
 * of the same event created. Safe under concurrency without check-then-act: the insert skips a conflicting
 * dedupe key (ON CONFLICT DO NOTHING waits for a concurrent insert of the same key to commit), and the read
 * that follows, a new statement, sees whichever row won.
 */
export async function createNotification(prisma: PrismaClient, input: NewNotification): Promise<CreatedNotification> {
  const parsed = newNotificationSchema.safeParse(input);
  if (!parsed.success) throw new InvalidNotificationError(`Invalid notification: ${z.prettifyError(parsed.error)}`);
  const { userId, kind, orderId, dedupeKey, channels, message } = parsed.data;
  const { title, body } = renderMessage(kind, message);
  return prisma.$transaction(async (tx) => {
    const id = randomUUID();
    const { count } = await tx.notification.createMany({
      data: [{ id, userId, kind, title, body, orderId: orderId ?? null, dedupeKey }],
      skipDuplicates: true,
    });
    const created = count === 1;
    if (created) await tx.delivery.createMany({ data: channels.map((channel) => ({ notificationId: id, channel })) });
    const notification = await tx.notification.findUniqueOrThrow({
      where: { dedupeKey },
      include: { deliveries: { orderBy: { channel: 'asc' } } },
    });
    return { notification, created };
  });
}
