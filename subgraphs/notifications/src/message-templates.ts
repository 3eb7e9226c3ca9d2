import type { NotificationKind } from './database.ts';

/** Money as every service passes it: integer minor units plus an ISO 4217 code. */
export interface Money {
  amount: number;
  currency: string;
}

/** Why an order was cancelled: the orders subgraph's cancel_reason, as OrderStatusChanged carries it. */
export type CancelReason = 'CUSTOMER_REQUEST' | 'OUT_OF_STOCK' | 'PAYMENT_DECLINED' | 'PAYMENT_TIMEOUT' | 'RESERVATION_EXPIRED';

/**
 * What a message says. Order messages need `orderNumber`; `amount` is the money the message is about (the
 * order's total for most kinds, the refunded amount for REFUND_ISSUED) and is left out of the text when the
 * causing event did not carry it. `reason` explains a cancellation; `name` greets a new user (WELCOME).
 */
export interface MessageFacts {
  orderNumber?: string;
  amount?: Money;
  reason?: CancelReason | null;
  name?: string;
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

/** A cancellation's reason as the customer reads it: "… was cancelled because <reason>". */
const CANCEL_REASONS: Record<CancelReason, string> = {
  CUSTOMER_REQUEST: 'you asked us to cancel it',
  OUT_OF_STOCK: 'some of its items were out of stock',
  PAYMENT_DECLINED: 'the payment was declined',
  PAYMENT_TIMEOUT: 'the payment was not confirmed in time',
  RESERVATION_EXPIRED: 'the items held for it were released before the payment went through',
};

export function cancelReasonInWords(reason: CancelReason): string {
  return CANCEL_REASONS[reason];
}

interface TemplateInput {
  order: string;
  /** The formatted amount, or undefined when the event did not carry it. */
  amount: string | undefined;
  reason: CancelReason | null;
  name: string;
}

const TEMPLATES: Record<NotificationKind, (facts: TemplateInput) => RenderedMessage> = {
  ORDER_PLACED: ({ order, amount }) => ({
    title: `Order ${order} placed`,
    body: `Thanks for your order! We received order ${order}${amount ? ` (${amount})` : ''} and will tell you when it ships.`,
  }),
  ORDER_PAID: ({ order, amount }) => ({
    title: `Payment received for ${order}`,
    body: `We received your payment${amount ? ` of ${amount}` : ''} for order ${order}. Your order is confirmed.`,
  }),
  ORDER_SHIPPED: ({ order }) => ({
    title: `Order ${order} shipped`,
    body: `Good news: order ${order} is on its way.`,
  }),
  ORDER_CANCELLED: ({ order, amount, reason }) => ({
    title: `Order ${order} cancelled`,
    body:
      `Order ${order}${amount ? ` (${amount})` : ''} was cancelled${reason ? ` because ${CANCEL_REASONS[reason]}` : ''}. ` +
      'If you were charged, the money will be refunded.',
  }),
  PAYMENT_DECLINED: ({ order, amount }) => ({
    title: `Payment declined for ${order}`,
    body: `Your payment${amount ? ` of ${amount}` : ''} for order ${order} was declined, so the order was cancelled.`,
  }),
  REFUND_ISSUED: ({ order, amount }) => ({
    title: `Refund issued for ${order}`,
    body: `We refunded ${amount ?? 'your payment'} for order ${order}. It can take a few days to reach your account.`,
  }),
  WELCOME: ({ name }) => ({
    title: `Welcome to Storefront, ${name}`,
    body: 'Your account is ready. We will keep you posted here and by e-mail about your orders.',
  }),
};

/** Kinds about an order: their message cannot be written without the order's number. */
export const isOrderKind = (kind: NotificationKind): boolean => kind !== 'WELCOME';

/** The title and body of a notification of `kind`, in the store's one language (English). */
export function renderMessage(kind: NotificationKind, facts: MessageFacts): RenderedMessage {
  return TEMPLATES[kind]({
    order: facts.orderNumber ?? '',
    amount: facts.amount ? formatMoney(facts.amount) : undefined,
    reason: facts.reason ?? null,
    name: facts.name ?? 'there',
  });
}
