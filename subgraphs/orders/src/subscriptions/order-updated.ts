import { badUserInput, isUuid } from '@storefront/api-conventions';
import { requireOwnerOrAdmin, requireViewer } from '@storefront/identity';
import { GraphQLError } from 'graphql';
import type { Order, OrderSaga } from '../database.ts';
import { createLoaders } from '../loaders.ts';
import type { OrdersContext } from '../resolvers.ts';
import { nextDelivery, orderTopic, type OrderChange } from './order-change-feed.ts';

/*
 * Subscription.orderUpdated(id): the order as it is when the subscription starts, then once per committed
 * change of its status or checkout progress, in commit order. Owner or admin only, checked when it starts (an
 * order never changes hands).
 */

interface OrderUpdatedEvent {
  orderUpdated: OrderChange;
}

function currentState(order: Order, saga: OrderSaga | null): OrderChange {
  return {
    orderId: order.id,
    version: 0,
    status: order.status,
    cancelReason: order.cancelReason,
    updatedAt: order.updatedAt,
    checkout: saga && { state: saga.state, failureReason: saga.failureReason, startedAt: saga.startedAt, updatedAt: saga.updatedAt, finishedAt: saga.finishedAt },
  };
}

async function* updates(first: OrderChange, changes: AsyncIterableIterator<OrderChange>): AsyncGenerator<OrderUpdatedEvent> {
  try {
    let last = first;
    yield { orderUpdated: first };
    for await (const change of changes) {
      const next = nextDelivery(change, last);
      last = next.last;
      if (next.deliver) yield { orderUpdated: change };
    }
  } finally {
    await changes.return?.();
  }
}

export const orderUpdatedResolvers = {
  orderUpdated: {
    async subscribe(_: unknown, { id }: { id: string }, context: OrdersContext): Promise<AsyncGenerator<OrderUpdatedEvent>> {
      requireViewer(context.viewer);
      if (!isUuid(id)) throw badUserInput('id is not a valid id', 'id');
      const feed = context.orderChanges;
      if (!feed) throw new GraphQLError('Order updates are not available on this server', { extensions: { code: 'SERVICE_UNAVAILABLE' } });
      // Listening first, reading second: a change that commits in between is heard, not lost.
      const changes = await feed.watch([orderTopic(id)]);
      try {
        const order = await context.loaders.orderById.load(id);
        if (!order) throw new GraphQLError('No such order', { extensions: { code: 'NOT_FOUND' } });
        requireOwnerOrAdmin(context.viewer, order.userId);
        return updates(currentState(order, await context.loaders.checkoutOfOrder.load(id)), changes);
      } catch (error) {
        await changes.return();
        throw error;
      }
    },
    /** The order as the change left it: status and checkout from the change, the rest read now (it never changes). */
    async resolve({ orderUpdated: change }: OrderUpdatedEvent, _: unknown, context: OrdersContext): Promise<Order> {
      // Fresh loaders per event: the subscription's context lives as long as it does.
      context.loaders = createLoaders(context.prisma);
      const order = await context.loaders.orderById.load(change.orderId);
      if (!order) throw new GraphQLError('No such order', { extensions: { code: 'NOT_FOUND' } });
      const saga = await context.loaders.checkoutOfOrder.load(change.orderId);
      context.loaders.checkoutOfOrder.clear(change.orderId).prime(change.orderId, saga && change.checkout ? { ...saga, ...change.checkout } : saga);
      return { ...order, status: change.status, cancelReason: change.cancelReason, updatedAt: change.updatedAt };
    },
  },
};
