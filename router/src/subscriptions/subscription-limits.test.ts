import { viewerWithRoles } from '@storefront/identity';
import { SubscriptionLimits } from './subscription-limits.ts';

const ada = viewerWithRoles('4149b312-e9fd-4d68-83e8-9d613ccc5a46', ['CUSTOMER']);

describe('SubscriptionLimits', () => {
  it('admits connections per user up to the limit, and again once one is released', () => {
    const limits = new SubscriptionLimits({ perConnection: 5, connectionsPerUser: 2, connectionsPerAddress: 10 });
    const first = limits.admitConnection(ada, '10.0.0.1');
    expect(typeof limits.admitConnection(ada, '10.0.0.2')).toBe('function');
    expect(limits.admitConnection(ada, '10.0.0.3')).toBe('At most 2 subscription connections per user');
    if (typeof first !== 'function') throw new Error('refused');
    first();
    first();
    expect(typeof limits.admitConnection(ada, '10.0.0.3')).toBe('function');
  });

  it('counts anonymous connections per address', () => {
    const limits = new SubscriptionLimits({ perConnection: 5, connectionsPerUser: 2, connectionsPerAddress: 1 });
    expect(typeof limits.admitConnection(null, '10.0.0.1')).toBe('function');
    expect(limits.admitConnection(null, '10.0.0.1')).toBe('At most 1 subscription connections per address');
    expect(typeof limits.admitConnection(null, '10.0.0.2')).toBe('function');
  });
});
