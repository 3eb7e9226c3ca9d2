/*
 * Tells the other tabs of this browser that orders changed, so a second tab's order list shows a new order at
 * once. (A subscription to the user's orders can replace this once the router serves subscriptions.)
 */
type OrdersMessage = { type: 'orders-changed' };

const channel: BroadcastChannel | undefined = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel('storefront-orders');

export function announceOrdersChanged(): void {
  channel?.postMessage({ type: 'orders-changed' } satisfies OrdersMessage);
}

export function onOrdersChanged(listener: () => void): () => void {
  if (!channel) return () => undefined;
  const handler = (event: MessageEvent<OrdersMessage>) => {
    if (event.data.type === 'orders-changed') listener();
  };
  channel.addEventListener('message', handler);
  return () => channel.removeEventListener('message', handler);
}
