/*
 * How notifications come into being. The notifications consumer (workers.ts) calls `createNotificationIn`
 * once per event inside the event's transaction, then each channel is delivered and every attempt reported
 * with `recordDelivery` (deliveries.ts). Queues deliver at least once, so both calls are safe to repeat:
 * a redelivered event finds its notification by dedupe key, and a delivery that was sent stays sent.
 */
import { nameBasedUuid } from '@storefront/api-conventions';
import { z } from 'zod';
import {
  NotificationChannel,
  NotificationKind,
  type Delivery,
  type Notification,
  type Prisma,
  type PrismaClient,
} from './database.ts';
import { isOrderKind, renderMessage, type MessageFacts } from './message-templates.ts';

/**
 * The dedupe key of a notification caused by an order event: one notification per order and kind, however
 * often the event is delivered.
 */
export function orderEventDedupeKey(orderId: string, kind: NotificationKind): string {
  return `order:${orderId}:${kind}`;
}

/** The dedupe key of the welcome message: one per account. */
export function welcomeDedupeKey(userId: string): string {
  return `user:${userId}:WELCOME`;
}

/**
 * A notification's id follows from its dedupe key, so an attempt that rolled back and its retry write the
 * same ids: a job queued for a delivery of the first attempt finds the row the retry commits.
 */
export function notificationIdFor(dedupeKey: string): string {
  return nameBasedUuid('notification-dedupe', dedupeKey);
}

export interface NewNotification {
  userId: string;
  kind: NotificationKind;
  orderId?: string | null;
  /** The identity of the causing event, e.g. orderEventDedupeKey(orderId, kind). */
  dedupeKey: string;
  /** Where to deliver it; each channel starts PENDING. */
  channels: readonly NotificationChannel[];
  /** What the message template needs (order number, amount, cancel reason; the name for WELCOME). */
  message: MessageFacts;
}

const newNotificationSchema = z
  .object({
    userId: z.uuid(),
    kind: z.enum(NotificationKind),
    orderId: z.uuid().nullish(),
    dedupeKey: z.string().min(1).max(200),
    channels: z
      .array(z.enum(NotificationChannel))
      .min(1)
      .refine((channels) => new Set(channels).size === channels.length, 'Each channel at most once'),
    message: z.object({
      orderNumber: z.string().min(1).max(64).optional(),
      amount: z.object({ amount: z.number().int(), currency: z.string().regex(/^[A-Z]{3}$/) }).optional(),
      reason: z.enum(['CUSTOMER_REQUEST', 'OUT_OF_STOCK', 'PAYMENT_DECLINED', 'PAYMENT_TIMEOUT', 'RESERVATION_EXPIRED']).nullish(),
      name: z.string().min(1).max(100).optional(),
    }),
  })
  .refine((input) => !isOrderKind(input.kind) || input.message.orderNumber !== undefined, {
    message: 'An order message needs the order number',
    path: ['message', 'orderNumber'],
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
 * of the same event created (see createNotificationIn).
 */
export async function createNotification(prisma: PrismaClient, input: NewNotification): Promise<CreatedNotification> {
  const valid = validNotification(input);
  return prisma.$transaction((tx) => insertNotification(tx, valid));
}

/**
 * createNotification inside the caller's transaction (an event consumer's, which also records the event as
 * processed). Safe under concurrency without check-then-act: the insert skips a conflicting id or dedupe key
 * (ON CONFLICT DO NOTHING waits for a concurrent insert of the same key to commit), and the read that
 * follows, a new statement, sees whichever row won.
 */
export async function createNotificationIn(tx: Prisma.TransactionClient, input: NewNotification): Promise<CreatedNotification> {
  return insertNotification(tx, validNotification(input));
}

type ValidNotification = z.output<typeof newNotificationSchema>;

function validNotification(input: NewNotification): ValidNotification {
  const parsed = newNotificationSchema.safeParse(input);
  if (!parsed.success) throw new InvalidNotificationError(`Invalid notification: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

async function insertNotification(tx: Prisma.TransactionClient, valid: ValidNotification): Promise<CreatedNotification> {
  const { userId, kind, orderId, dedupeKey, channels, message } = valid;
  const { title, body } = renderMessage(kind, message);
  const id = notificationIdFor(dedupeKey);
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
}
