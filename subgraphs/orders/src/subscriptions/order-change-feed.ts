import { z } from 'zod';
import { CancelReason, OrderStatus, SagaState } from '../database.ts';

/*
 * Orders' change feed (packages/subscriptions/src/change-feed.ts): a trigger (migration 20261202010000) NOTIFYs
 * order_changes with each committed transaction's status and checkout state, whoever wrote it
 * (checkout, the saga's workers, the deadline sweep, cancellations); every orders process bridges them to Redis
 * per order and serves its own subscribers. Each bridge publishes every change, so with several replicas a
 * change arrives once per replica: subscribers keep only versions newer than the last they delivered, which
 * makes delivery exactly once and in commit order while any one bridge lives.
 */

export const ORDER_CHANGES_CHANNEL = 'order_changes';

const timestamp = z.string().transform((value) => new Date(value));

const orderChangeSchema = z.object({
  orderId: z.uuid(),
  version: z.number().int(),
  status: z.enum(OrderStatus),
  cancelReason: z.enum(CancelReason).nullable(),
  updatedAt: timestamp,
  checkout: z
    .object({
      state: z.enum(SagaState),
      failureReason: z.enum(CancelReason).nullable(),
      startedAt: timestamp,
      updatedAt: timestamp,
      finishedAt: timestamp.nullable(),
    })
    .nullable(),
});

/** An order's status and checkout progress as one committed transaction left them. */
export type OrderChange = z.output<typeof orderChangeSchema>;

export function parseOrderChange(text: string): OrderChange | undefined {
  try {
    const parsed = orderChangeSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function latestUpdate(change: OrderChange): number {
  return Math.max(change.updatedAt.getTime(), change.checkout?.updatedAt.getTime() ?? 0);
}

function sameState(a: OrderChange, b: OrderChange): boolean {
  return (
    a.status === b.status &&
    a.cancelReason === b.cancelReason &&
    a.checkout?.state === b.checkout?.state &&
    a.checkout?.failureReason === b.checkout?.failureReason &&
    a.checkout?.finishedAt?.getTime() === b.checkout?.finishedAt?.getTime()
  );
}

/**
 * What a subscriber does with `change` after `last`, the change it delivered last: deliver it, or not (a copy
 * from another replica's bridge, or a change that adds nothing), and what counts as delivered from then on.
 * The first change a subscriber delivers is the order as read when it subscribed, whose version is unknown
 * (0): changes that committed before that read may still be on their way, told apart by their update times.
 */
export function nextDelivery(change: OrderChange, last: OrderChange): { deliver: boolean; last: OrderChange } {
  if (last.version !== 0 ? change.version <= last.version : latestUpdate(change) < latestUpdate(last)) return { deliver: false, last };
  if (sameState(change, last)) return { deliver: false, last: { ...last, version: change.version } };
  return { deliver: true, last: change };
}

/** The Redis topic of one order's changes (under the deployment's key prefix). */
export const orderTopic = (orderId: string) => `orders:changes:${orderId}`;

/** One transaction's changes of one order share a key: the bridge publishes only the last (its committed state). */
export function coalesceKeyOf(payload: string): string | undefined {
  const change = parseOrderChange(payload);
  return change && `${change.orderId}:${change.version}`;
}

/** The order a trigger notification is about, for the bridge. */
export function topicOfNotification(payload: string): string | undefined {
  const change = parseOrderChange(payload);
  return change && orderTopic(change.orderId);
}
