/*
 * One idempotency key per checkout attempt. The key is made when an attempt starts and kept (in
 * sessionStorage) until the attempt is answered, so a double click, a retry after a network failure or a
 * reload in the middle all send the same key, and orders places one order. A new attempt gets a new key.
 */
export interface KeyStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const STORAGE_KEY = 'storefront.checkout-attempt';

export function currentAttemptKey(store: KeyStore, makeKey: () => string = () => crypto.randomUUID()): string {
  const existing = store.getItem(STORAGE_KEY);
  if (existing) return existing;
  const key = makeKey();
  store.setItem(STORAGE_KEY, key);
  return key;
}

/** The attempt was answered (an order, or errors to fix): the next submit is a new attempt. */
export function finishAttempt(store: KeyStore): void {
  store.removeItem(STORAGE_KEY);
}
