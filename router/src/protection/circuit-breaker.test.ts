import type { Fetcher } from '@apollo/utils.fetcher';
import { CircuitBreaker, guardedFetcher } from './circuit-breaker.ts';

/* The breaker's states on a fake clock; protection.test.ts drives it through the router with a hanging subgraph. */

function breakerAt(time: { now: number }) {
  return new CircuitBreaker('reviews', { failureThreshold: 3, cooldownMs: 1_000 }, undefined, () => time.now);
}

describe('a circuit breaker', () => {
  it('opens after N consecutive failures, not after N failures with a success between', () => {
    const time = { now: 0 };
    const breaker = breakerAt(time);
    for (const outcome of ['fail', 'fail', 'ok', 'fail', 'fail'] as const) {
      expect(breaker.tryAcquire()).toBe(true);
      if (outcome === 'ok') breaker.succeeded();
      else breaker.failed();
    }
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
    breaker.failed();
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
  });

  it('half-opens after the cooldown with exactly one probe; a failed probe opens it again, a good one closes it', () => {
    const time = { now: 0 };
    const breaker = breakerAt(time);
    for (let i = 0; i < 3; i += 1) {
      breaker.tryAcquire();
      breaker.failed();
    }
    time.now = 999;
    expect(breaker.tryAcquire()).toBe(false);
    time.now = 1_000;
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.state).toBe('half-open');
    expect(breaker.tryAcquire()).toBe(false); // one probe at a time
    breaker.failed();
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);

    time.now = 2_000;
    expect(breaker.tryAcquire()).toBe(true);
    breaker.succeeded();
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(true);
  });
});

describe('a guarded fetcher', () => {
  const answering = (status: number): Fetcher => (async () => new Response('{}', { status })) as unknown as Fetcher;
  const refusing: Fetcher = (async () => {
    throw new TypeError('fetch failed');
  }) as unknown as Fetcher;

  it('counts connection errors and 5xx answers as failures, 4xx as the caller’s problem', async () => {
    const time = { now: 0 };
    const breaker = breakerAt(time);
    await expect(guardedFetcher(refusing, breaker)('http://x')).rejects.toThrow('fetch failed');
    expect((await guardedFetcher(answering(503), breaker)('http://x')).status).toBe(503);
    expect((await guardedFetcher(answering(400), breaker)('http://x')).status).toBe(400);
    await guardedFetcher(answering(502), breaker)('http://x');
    await guardedFetcher(answering(500), breaker)('http://x');
    expect(breaker.state).toBe('closed'); // the 400 reset the count: 2 in a row so far
    await guardedFetcher(answering(500), breaker)('http://x');
    expect(breaker.state).toBe('open');
    await expect(guardedFetcher(answering(200), breaker)('http://x')).rejects.toMatchObject({
      extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'reviews' },
    });
  });
});
