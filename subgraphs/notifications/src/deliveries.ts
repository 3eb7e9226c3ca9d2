import type { Delivery, NotificationChannel, Prisma } from './database.ts';

/**
 * What one send attempt on one channel came to. A failure the worker will retry keeps the delivery PENDING
 * (with the error recorded); the last failure makes it FAILED.
 */
export type DeliveryOutcome = { sent: true } | { sent: false; error: string; willRetry: boolean };

/** Provider replies can be long (whole SMTP transcripts); the start says what went wrong. */
const MAX_ERROR_LENGTH = 1_000;

/**
 * Records one attempt: attempts + 1, the new status and the error (cleared once sent). A delivery already
 * SENT is left alone, so a duplicated job can neither count a phantom attempt nor turn it back to FAILED.
 * Returns the delivery as it now is, or null when there is no such delivery. `prisma` is the client or a
 * transaction's (the consumer marks IN_APP sent in the transaction that creates the notification).
 */
export async function recordDelivery(
  prisma: Prisma.TransactionClient,
  notificationId: string,
  channel: NotificationChannel,
  outcome: DeliveryOutcome,
): Promise<Delivery | null> {
  const [updated] = await prisma.delivery.updateManyAndReturn({
    where: { notificationId, channel, status: { not: 'SENT' } },
    // The increment happens in SQL (attempts = attempts + 1), so concurrent reports never lose an attempt.
    data: outcome.sent
      ? { attempts: { increment: 1 }, status: 'SENT', lastError: null }
      : { attempts: { increment: 1 }, status: outcome.willRetry ? 'PENDING' : 'FAILED', lastError: outcome.error.slice(0, MAX_ERROR_LENGTH) },
  });
  return updated ?? prisma.delivery.findUnique({ where: { notificationId_channel: { notificationId, channel } } });
}

/**
 * The deliveries of many notifications in one statement, IN_APP before EMAIL (the enum's declaration order,
 * which is how Postgres sorts enums).
 */
export async function deliveriesByNotification(
  prisma: Prisma.TransactionClient,
  notificationIds: readonly string[],
): Promise<Map<string, Delivery[]>> {
  const rows = await prisma.delivery.findMany({
    where: { notificationId: { in: [...notificationIds] } },
    orderBy: [{ notificationId: 'asc' }, { channel: 'asc' }],
  });
  const byNotification = new Map<string, Delivery[]>();
  for (const row of rows) {
    const list = byNotification.get(row.notificationId);
    if (list) list.push(row);
    else byNotification.set(row.notificationId, [row]);
  }
  return byNotification;
}

/**
 * Takes the EMAIL delivery for one send attempt: `claim` is committed (with attempts + 1) before the worker
 * talks to the mail server, so a later attempt can tell that this one may have handed the message over.
 * Only from the state the caller saw (`previousClaim`, null for none) and never once SENT: of two attempts
 * running at once (a stalled job re-run while the first still works), one gets it. False when it was taken.
 */
export async function claimEmailSend(prisma: Prisma.TransactionClient, notificationId: string, claim: string, previousClaim: string | null): Promise<boolean> {
  const { count } = await prisma.delivery.updateMany({
    where: { notificationId, channel: 'EMAIL', status: { not: 'SENT' }, sendClaim: previousClaim },
    data: { sendClaim: claim, sendingSince: new Date(), attempts: { increment: 1 } },
  });
  return count === 1;
}

/**
 * Records what the server answered the attempt holding `claim` and releases the claim; its attempt was
 * counted when it was claimed. A claim someone else holds by now is left alone. Returns whether it recorded.
 */
export async function recordEmailOutcome(prisma: Prisma.TransactionClient, notificationId: string, claim: string, outcome: DeliveryOutcome): Promise<boolean> {
  const { count } = await prisma.delivery.updateMany({
    where: { notificationId, channel: 'EMAIL', status: { not: 'SENT' }, sendClaim: claim },
    data: outcome.sent
      ? { status: 'SENT', lastError: null, sendClaim: null, sendingSince: null }
      : { status: outcome.willRetry ? 'PENDING' : 'FAILED', lastError: outcome.error.slice(0, MAX_ERROR_LENGTH), sendClaim: null, sendingSince: null },
  });
  return count === 1;
}
