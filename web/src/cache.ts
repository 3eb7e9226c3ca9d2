import { InMemoryCache } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';

/** Interfaces and their implementations, for fragments on Purchasable (checked against the schema by a test). */
export const POSSIBLE_TYPES = { Purchasable: ['Product', 'GiftCard'] };

export function createCache(): InMemoryCache {
  return new InMemoryCache({
    possibleTypes: POSSIBLE_TYPES,
    typePolicies: {
      Query: {
        fields: {
          products: relayStylePagination(['filter', 'orderBy']),
          orders: relayStylePagination(['status']),
          deadLetters: relayStylePagination(['queue']),
        },
      },
      User: {
        fields: {
          orders: relayStylePagination(['status']),
          notifications: relayStylePagination(['unreadOnly']),
        },
      },
      Product: { fields: { reviews: relayStylePagination(['orderBy']) } },
      // Value objects without ids: stored inside their parent.
      Money: { keyFields: false },
      Stock: { keyFields: false },
      CheckoutProgress: { keyFields: false },
    },
  });
}
