/*
 * The README's storefront operations ("Storefront queries"), as a client that does not stream @defer sends them:
 * one copy for the tests and benchmarks that ask the store what its pages ask.
 */

/** The product page: catalog, inventory through @requires, reviews through the Purchasable @interfaceObject. */
export const PRODUCT_PAGE = `query ProductPage($id: ID!) {
  product(id: $id) {
    name sku description price { amount currency } category { name }
    inStock stock { available }
    shippingEstimate(country: "FR") { cost { amount currency } carrier minDays maxDays }
    averageRating reviewCount
    reviews(first: 5) { edges { node { rating title author { name } createdAt } } }
  }
}`;

/** A signed-in customer's order history: accounts → orders → payments, items resolved by catalog. */
export const ORDER_HISTORY = `query OrderHistory {
  me {
    name
    orders(first: 10) {
      edges { node {
        number status placedAt total { amount currency }
        payment { status }
        items(first: 10) { edges { node { quantity unitPrice { amount } purchasable { __typename name ... on Product { sku } } } } }
      } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;
