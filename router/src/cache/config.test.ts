import { loadRouterConfig } from '../config.ts';

describe('cache settings', () => {
  it('turns every cache on by default, against a local Redis, with no safelist', () => {
    expect(loadRouterConfig({}, []).cache).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      keyPrefix: 'storefront:',
      apq: true,
      queryPlans: true,
      responses: true,
      entities: true,
      safelistPath: undefined,
      entityTypes: ['catalog.Product', 'catalog.Category', 'catalog.GiftCard', 'inventory.Warehouse'],
    });
  });

  it('switches each cache off and reads the entity allow-list', () => {
    const config = loadRouterConfig({ CACHE_APQ: 'false', CACHE_QUERY_PLANS: '0', CACHE_RESPONSES: 'no', CACHE_ENTITIES: 'false', ENTITY_CACHE_TYPES: 'catalog.Product, reviews.Review' }, []);
    expect(config.cache).toMatchObject({ apq: false, queryPlans: false, responses: false, entities: false, entityTypes: ['catalog.Product', 'reviews.Review'] });
  });

  it('refuses a Redis URL that is not redis://, a bad flag and a malformed allow-list entry', () => {
    expect(() => loadRouterConfig({ REDIS_URL: 'http://redis:6379' }, [])).toThrow(/REDIS_URL/);
    expect(() => loadRouterConfig({ CACHE_RESPONSES: 'sometimes' }, [])).toThrow(/CACHE_RESPONSES/);
    expect(() => loadRouterConfig({ ENTITY_CACHE_TYPES: 'Product' }, [])).toThrow(/ENTITY_CACHE_TYPES/);
  });
});
