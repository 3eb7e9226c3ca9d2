import { currentAttemptKey, finishAttempt, type KeyStore } from './idempotency.ts';

function memoryStore(): KeyStore {
  const values = new Map<string, string>();
  return { getItem: (key) => values.get(key) ?? null, setItem: (key, value) => void values.set(key, value), removeItem: (key) => void values.delete(key) };
}

describe('one idempotency key per checkout attempt', () => {
  it('sends the same key for a double click or a retry, and a new one for the next attempt', () => {
    const store = memoryStore();
    let made = 0;
    const make = () => `key-${++made}`;
    expect([currentAttemptKey(store, make), currentAttemptKey(store, make)]).toEqual(['key-1', 'key-1']);
    finishAttempt(store);
    expect(currentAttemptKey(store, make)).toBe('key-2');
  });
});
