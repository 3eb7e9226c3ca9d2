import { randomUUID } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import { defineEvent, EVENT_TYPES, EventContractError, parseEvent } from './index.ts';
import { orderPlaced } from './test-support.ts';

describe('event contracts', () => {
  it('registers v1 of every event the store publishes', () => {
    expect(EVENT_TYPES).toEqual(
      expect.arrayContaining(['OrderPlaced', 'OrderStatusChanged', 'ProductPriceChanged', 'StockReserved', 'StockReservationFailed', 'PaymentAuthorized', 'PaymentDeclined', 'ReviewPublished', 'UserRegistered']),
    );
  });

  it('builds a valid envelope and parses it back unchanged', () => {
    const event = orderPlaced();
    expect(event).toMatchObject({ type: 'OrderPlaced', version: 1, source: 'orders' });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(parseEvent(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it('refuses an invalid payload on publish, as a permanent failure', () => {
    const define = () =>
      defineEvent({
        type: 'ReviewPublished',
        version: 1,
        source: 'reviews',
        aggregateId: 'r',
        correlationId: null,
        payload: { reviewId: randomUUID(), productId: randomUUID(), userId: randomUUID(), rating: 6 },
      });
    expect(define).toThrow(EventContractError);
    expect(define).toThrow(/Invalid ReviewPublished v1 payload: rating/);
    expect(() => define()).toThrow(UnrecoverableError);
  });

  it('refuses an unknown type or version and a malformed envelope on consume', () => {
    const event = orderPlaced();
    expect(() => parseEvent({ ...event, version: 2 })).toThrow('Unknown event OrderPlaced v2');
    expect(() => parseEvent({ ...event, type: 'OrderShipped' })).toThrow('Unknown event OrderShipped v1');
    expect(() => parseEvent({ ...event, id: 'not-a-uuid' })).toThrow(/Invalid event envelope: id/);
    expect(() => parseEvent({ ...event, payload: { ...event.payload, items: [] } })).toThrow(/items/);
    expect(() => parseEvent('nonsense')).toThrow(EventContractError);
  });
});
