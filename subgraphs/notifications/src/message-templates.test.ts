import { cancelReasonInWords, formatMoney, renderMessage } from './message-templates.ts';

const facts = { orderNumber: 'SO-0000042', amount: { amount: 123_450, currency: 'EUR' } };

describe('message templates', () => {
  it('formats integer minor units in the currency’s own precision', () => {
    expect(formatMoney({ amount: 123_450, currency: 'EUR' })).toBe('€1,234.50');
    expect(formatMoney({ amount: 5, currency: 'EUR' })).toBe('€0.05');
    expect(formatMoney({ amount: 1_500, currency: 'JPY' })).toBe('JP¥1,500');
    expect(formatMoney({ amount: 1_999, currency: 'USD' })).toBe('US$19.99');
  });

  it('writes every kind of message with the order number and the amount it is about', () => {
    expect(renderMessage('ORDER_PLACED', facts)).toEqual({
      title: 'Order SO-0000042 placed',
      body: 'Thanks for your order! We received order SO-0000042 (€1,234.50) and will tell you when it ships.',
    });
    expect(renderMessage('ORDER_PAID', facts)).toEqual({
      title: 'Payment received for SO-0000042',
      body: 'We received your payment of €1,234.50 for order SO-0000042. Your order is confirmed.',
    });
    expect(renderMessage('ORDER_SHIPPED', facts)).toEqual({
      title: 'Order SO-0000042 shipped',
      body: 'Good news: order SO-0000042 is on its way.',
    });
    expect(renderMessage('ORDER_CANCELLED', facts)).toEqual({
      title: 'Order SO-0000042 cancelled',
      body: 'Order SO-0000042 (€1,234.50) was cancelled. If you were charged, the money will be refunded.',
    });
    expect(renderMessage('PAYMENT_DECLINED', facts)).toEqual({
      title: 'Payment declined for SO-0000042',
      body: 'Your payment of €1,234.50 for order SO-0000042 was declined, so the order was cancelled.',
    });
    expect(renderMessage('REFUND_ISSUED', { ...facts, amount: { amount: 2_500, currency: 'EUR' } })).toEqual({
      title: 'Refund issued for SO-0000042',
      body: 'We refunded €25.00 for order SO-0000042. It can take a few days to reach your account.',
    });
  });

  it('says why an order was cancelled, in words', () => {
    expect(renderMessage('ORDER_CANCELLED', { ...facts, reason: 'OUT_OF_STOCK' }).body).toBe(
      'Order SO-0000042 (€1,234.50) was cancelled because some of its items were out of stock. If you were charged, the money will be refunded.',
    );
    for (const reason of ['CUSTOMER_REQUEST', 'OUT_OF_STOCK', 'PAYMENT_DECLINED', 'PAYMENT_TIMEOUT', 'RESERVATION_EXPIRED'] as const) {
      expect(renderMessage('ORDER_CANCELLED', { ...facts, reason }).body).toContain(`because ${cancelReasonInWords(reason)}.`);
    }
  });

  it('leaves the amount out when the event did not carry it', () => {
    expect(renderMessage('ORDER_PAID', { orderNumber: 'SO-7' }).body).toBe('We received your payment for order SO-7. Your order is confirmed.');
    expect(renderMessage('ORDER_CANCELLED', { orderNumber: 'SO-7', reason: 'PAYMENT_TIMEOUT' }).body).toBe(
      'Order SO-7 was cancelled because the payment was not confirmed in time. If you were charged, the money will be refunded.',
    );
  });

  it('welcomes a new user by name', () => {
    expect(renderMessage('WELCOME', { name: 'Ada' })).toEqual({
      title: 'Welcome to Storefront, Ada',
      body: 'Your account is ready. We will keep you posted here and by e-mail about your orders.',
    });
  });
});
