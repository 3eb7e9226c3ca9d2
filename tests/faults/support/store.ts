/*
 * What a shopper sends, timed: the README's storefront operations posted to the router as a browser would
 * (one JSON response, no multipart), each with a client-side deadline so a request the stack never answers is
 * reported as such instead of hanging the test.
 */
import { randomUUID } from 'node:crypto';

export const PRODUCT_PAGE = `query ProductPage($id: ID!) {
  product(id: $id) {
    name sku description price { amount currency } category { name }
    inStock stock { available }
    ... @defer(label: "shipping") {
      shippingEstimate(country: "FR") { cost { amount currency } carrier minDays maxDays }
    }
    ... @defer(label: "reviews") {
      averageRating reviewCount
      reviews(first: 5) { edges { node { rating title author { name } createdAt } } }
    }
  }
}`;

export const SEARCH = `query Search($search: String) {
  products(first: 12, filter: { search: $search, maxPrice: 100000 }, orderBy: PRICE_ASC) {
    edges { node { id name price { amount currency } inStock averageRating reviewCount } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const ORDER_HISTORY = `query OrderHistory {
  me {
    name
    orders(first: 10) {
      edges { node {
        number status placedAt total { amount currency }
        payment { status }
        items(first: 10) { edges { node { quantity unitPrice { amount } purchasable { __typename name ... on Product { sku } } } } }
      } }
    }
  }
}`;

export const LOG_IN = `mutation LogIn($email: String!, $password: String!) {
  logIn(input: { email: $email, password: $password }) { accessToken errors { code } }
}`;

export const PLACE_ORDER = `mutation Checkout($key: String!, $items: [OrderItemInput!]!) {
  placeOrder(input: {
    idempotencyKey: $key
    items: $items
    shippingAddress: { name: "Ada Lovelace", line1: "1 Main Street", city: "Berlin", postalCode: "10115", country: "DE" }
  }) {
    replayed
    order { id number status total { amount currency } }
    errors { path code message }
  }
}`;

export interface GraphQLError {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string; serviceName?: string; [key: string]: unknown };
}

export interface Answer<Data = Record<string, unknown>> {
  /** HTTP status; 0 when no response came (connection refused, client deadline). */
  status: number;
  data: Data | null | undefined;
  errors: GraphQLError[];
  /** Wall time from send to the parsed body. */
  ms: number;
  /** Why there is no response, when there is none. */
  failure?: string;
}

export interface StoreClientOptions {
  /** Past this the client gives up and reports a failure (default 30 s: far beyond any deadline under test). */
  clientTimeoutMs?: number;
}

export class StoreClient {
  readonly #url: string;
  readonly #clientTimeoutMs: number;

  constructor(routerUrl: string, options: StoreClientOptions = {}) {
    this.#url = routerUrl;
    this.#clientTimeoutMs = options.clientTimeoutMs ?? 30_000;
  }

  async send<Data = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Answer<Data>> {
    const started = performance.now();
    try {
      const response = await fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(this.#clientTimeoutMs),
      });
      const text = await response.text();
      const ms = performance.now() - started;
      let body: { data?: Data | null; errors?: GraphQLError[] } = {};
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        return { status: response.status, data: undefined, errors: [], ms, failure: `not JSON: ${text.slice(0, 200)}` };
      }
      return { status: response.status, data: body.data, errors: body.errors ?? [], ms };
    } catch (error) {
      return { status: 0, data: undefined, errors: [], ms: performance.now() - started, failure: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  }

  productPage(id: string) {
    return this.send<{ product: ProductPageData | null }>(PRODUCT_PAGE, { id });
  }

  search(search: string | null = null) {
    return this.send<{ products: { edges: Array<{ node: SearchNode }> } | null }>(SEARCH, { search });
  }

  orderHistory(token: string) {
    return this.send<{ me: { name: string; orders: unknown } | null }>(ORDER_HISTORY, {}, token);
  }

  async logIn(email: string, password: string) {
    return this.send<{ logIn: { accessToken: string | null; errors: Array<{ code: string }> } | null }>(LOG_IN, { email, password });
  }

  placeOrder(token: string, key: string, items: CheckoutItem[]) {
    return this.send<{ placeOrder: PlaceOrderData | null }>(PLACE_ORDER, { key, items }, token);
  }
}

export interface ProductPageData {
  name: string;
  sku: string;
  price: { amount: number; currency: string };
  inStock: boolean | null;
  stock: { available: number } | null;
  shippingEstimate: unknown;
  averageRating: number | null;
  reviewCount: number | null;
  reviews: { edges: unknown[] } | null;
}

export interface SearchNode {
  id: string;
  name: string;
  inStock: boolean | null;
  averageRating: number | null;
  reviewCount: number | null;
}

export interface CheckoutItem {
  purchasableId: string;
  quantity: number;
}

export interface PlaceOrderData {
  replayed: boolean;
  order: { id: string; number: string; status: string; total: { amount: number; currency: string } } | null;
  errors: Array<{ path: string[]; code: string; message: string }>;
}

/** One shopper's checkout: the idempotency key it keeps across retries, and the order once it has one. */
export interface Checkout {
  key: string;
  userIndex: number;
  items: CheckoutItem[];
  /** Every answer placeOrder gave, retries included. */
  answers: Array<Answer<{ placeOrder: PlaceOrderData | null }>>;
  orderId?: string;
}

export function newCheckout(userIndex: number, items: CheckoutItem[]): Checkout {
  return { key: `faults-${randomUUID()}`, userIndex, items, answers: [] };
}

/** Sends the checkout once; records the answer and the order id if it has one now. */
export async function attemptCheckout(store: StoreClient, token: string, checkout: Checkout): Promise<Answer<{ placeOrder: PlaceOrderData | null }>> {
  const answer = await store.placeOrder(token, checkout.key, checkout.items);
  checkout.answers.push(answer);
  const id = answer.data?.placeOrder?.order?.id;
  if (id) checkout.orderId = id;
  return answer;
}
