import type { NotificationKind } from './database.ts';

/** Money as every service passes it: integer minor units plus an ISO 4217 code. */
export interface Money {
  amount: number;
  currency: string;
}

/**
 * What a message says about its order. `amount` is the money the message is about: the order's total for
 * most kinds, the refunded amount for REFUND_ISSUED.
 */
export interface MessageFacts {
  orderNumber: string;
  amount: Money;
}

export interface RenderedMessage {
  title: string;
  body: string;
}

// Building an Intl formatter costs far more than using one (the seed renders 85,000 messages): one per currency.
const formatters = new Map<string, { format: Intl.NumberFormat; minorUnitsPerUnit: number }>();

function formatterFor(currency: string) {
  let formatter = formatters.get(currency);
  if (!formatter) {
    const format = new Intl.NumberFormat('en-IE', { style: 'currency', currency });
    formatter = { format, minorUnitsPerUnit: 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2) };
    formatters.set(currency, formatter);
  }
  return formatter;
}

/** Formats minor units in the currency's own precision (cents for EUR, none for JPY), e.g. "€1,234.50". */
export function formatMoney({ amount, currency }: Money): string {
  const { format, minorUnitsPerUnit } = formatterFor(currency);
  return format.format(amount / minorUnitsPerUnit);
}

const TEMPLATES: Record<NotificationKind, (order: string, amount: string) => RenderedMessage> = {
  ORDER_PLACED: (order, amount) => ({
    title: `Order ${order} placed`,
    body: `Thanks for your order! We received order ${order} (${amount}) and will tell you when it ships.`,
  }),
  ORDER_PAID: (order, amount) => ({
    title: `Payment received for ${order}`,
    body: `We received your payment of ${amount} for order ${order}.`,
  }),
  ORDER_SHIPPED: (order) => ({
    title: `Order ${order} shipped`,
    body: `Good news: order ${order} is on its way.`,
  }),
  ORDER_CANCELLED: (order, amount) => ({
    title: `Order ${order} cancelled`,
    body: `Order ${order} (${amount}) was cancelled. If you were charged, the money will be refunded.`,
  }),
  PAYMENT_DECLINED: (order, amount) => ({
    title: `Payment declined for ${order}`,
    body: `Your payment of ${amount} for order ${order} was declined, so the order was cancelled.`,
  }),
  REFUND_ISSUED: (order, amount) => ({
    title: `Refund issued for ${order}`,
    body: `We refunded ${amount} for order ${order}. It can take a few days to reach your account.`,
  }),
};

/** The title and body of a notification of `kind`, in the store's one language (English). */
export function renderMessage(kind: NotificationKind, facts: MessageFacts): RenderedMessage {
  return TEMPLATES[kind](facts.orderNumber, formatMoney(facts.amount));
}
