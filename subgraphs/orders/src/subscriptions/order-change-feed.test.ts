import { nextDelivery, parseOrderChange, type OrderChange } from './order-change-feed.ts';

const at = (ms: number) => new Date(Date.UTC(2026, 11, 2, 1, 0, 0, ms));

function change(version: number, status: OrderChange['status'], state: NonNullable<OrderChange['checkout']>['state'], ms: number): OrderChange {
  return {
    orderId: '4149b312-e9fd-4d68-83e8-9d613ccc5a46',
    version,
    status,
    cancelReason: null,
    updatedAt: at(ms),
    checkout: { state, failureReason: null, startedAt: at(0), updatedAt: at(ms), finishedAt: null },
  };
}

describe('nextDelivery', () => {
  const read = change(0, 'PENDING', 'RESERVING_STOCK', 10);

  it('after the first read, skips the notification of the state it already showed, and learns its version', () => {
    const echoed = nextDelivery(change(100, 'PENDING', 'RESERVING_STOCK', 10), read);
    expect(echoed).toEqual({ deliver: false, last: { ...read, version: 100 } });
  });

  it('after the first read, skips a change older than what it read (a notification still on its way)', () => {
    expect(nextDelivery(change(90, 'PENDING', 'RESERVING_STOCK', 5), change(0, 'RESERVED', 'AUTHORIZING_PAYMENT', 10)).deliver).toBe(false);
  });

  it('delivers each newer version once: a copy from another replica is dropped', () => {
    const next = change(200, 'RESERVED', 'AUTHORIZING_PAYMENT', 20);
    const first = nextDelivery(next, { ...read, version: 100 });
    expect(first).toEqual({ deliver: true, last: next });
    expect(nextDelivery(next, first.last).deliver).toBe(false);
    expect(nextDelivery(change(150, 'PENDING', 'RESERVING_STOCK', 10), first.last).deliver).toBe(false);
  });
});

describe('parseOrderChange', () => {
  it('reads what the trigger sends, and nothing malformed', () => {
    const text = JSON.stringify({
      orderId: '4149b312-e9fd-4d68-83e8-9d613ccc5a46',
      version: 1796173423976988,
      status: 'RESERVED',
      cancelReason: null,
      updatedAt: '2026-12-02T01:03:43.954+00:00',
      checkout: { state: 'AUTHORIZING_PAYMENT', failureReason: null, startedAt: '2026-12-02T01:03:43.956+00:00', updatedAt: '2026-12-02T01:03:43.956+00:00', finishedAt: null },
    });
    expect(parseOrderChange(text)).toMatchObject({ status: 'RESERVED', version: 1796173423976988, checkout: { state: 'AUTHORIZING_PAYMENT', updatedAt: new Date('2026-12-02T01:03:43.956Z') } });
    expect(parseOrderChange('{"orderId":"x"}')).toBeUndefined();
    expect(parseOrderChange('not json')).toBeUndefined();
  });
});
