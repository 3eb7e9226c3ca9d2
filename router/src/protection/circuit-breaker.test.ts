import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.ts';

/* The breaker's states on a fake clock; tests/degradation.test.ts drives it through the router with dead and frozen subgraphs. */

const OPTIONS: CircuitBreakerOptions = { failureThreshold: 3, timeoutThreshold: 2, failureRate: 0.5, minimumCalls: 10, windowMs: 1_000, cooldownMs: 500 };

function breakerAt(time: { now: number }, overrides: Partial<CircuitBreakerOptions> = {}) {
  return new CircuitBreaker('reviews', { ...OPTIONS, ...overrides }, undefined, () => time.now);
}

function call(breaker: CircuitBreaker, outcome: 'ok' | 'error' | 'timeout'): boolean {
  if (!breaker.tryAcquire()) return false;
  if (outcome === 'ok') breaker.succeeded();
  else breaker.failed(outcome);
  return true;
}

describe('a circuit breaker', () => {
  it('opens after N failures in a row, not after N failures with a success between', () => {
    const time = { now: 0 };
    const breaker = breakerAt(time);
    for (const outcome of ['error', 'error', 'ok', 'error', 'error'] as const) expect(call(breaker, outcome)).toBe(true);
    expect(breaker.state).toBe('closed');
    call(breaker, 'error');
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
  });

  it('opens on timeouts within the window even when successes come between them', () => {
    const time = { now: 0 };
    const breaker = breakerAt(time);
    call(breaker, 'timeout');
    for (let i = 0; i < 5; i += 1) call(breaker, 'ok');
    expect(breaker.state).toBe('closed');
    time.now = 900;
    call(breaker, 'timeout');
    expect(breaker.state).toBe('open');
  });

  it('forgets timeouts once they have slid out of the window', () => {
    const time = { now: 0 };
    const breaker = breakerAt(time);
    call(breaker, 'timeout');
    time.now = 1_200;
    call(breaker, 'timeout');
    expect(breaker.state).toBe('closed');
    time.now = 1_300;
    call(breaker, 'timeout');
    expect(breaker.state).toBe('open');
  });

  it('opens on the failure rate over the window once it holds the minimum of calls, never below it', () => {
    const time = { now: 0 };
    const breaker = breakerAt(time, { timeoutThreshold: 0 });
    // Alternating outcomes: never two failures in a row, 50 % failed.
    for (let i = 0; i < 9; i += 1) {
      time.now += 10;
      call(breaker, i % 2 === 0 ? 'error' : 'ok');
    }
    expect(breaker.state).toBe('closed'); // 5 of 9: a rate, but under the minimum of calls
    call(breaker, 'ok');
    expect(breaker.state).toBe('closed'); // 5 of 10 counted only on a failure
    call(breaker, 'error');
    expect(breaker.state).toBe('open'); // 6 of 11
  });

  it('does not open on a low failure rate, however long it runs', () => {
    const time = { now: 0 };
    const breaker = breakerAt(time, { timeoutThreshold: 0 });
    for (let i = 0; i < 1_000; i += 1) {
      time.now += 7;
      call(breaker, i % 3 === 0 ? 'error' : 'ok');
    }
    expect(breaker.state).toBe('closed');
  });

  it('half-opens after the cooldown with exactly one probe; a failed probe opens it again, a good one closes it', () => {
    const time = { now: 0 };
    const breaker = breakerAt(time);
    for (let i = 0; i < 3; i += 1) call(breaker, 'error');
    time.now = 499;
    expect(breaker.tryAcquire()).toBe(false);
    time.now = 500;
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.state).toBe('half-open');
    expect(breaker.tryAcquire()).toBe(false); // one probe at a time
    breaker.failed('timeout');
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);

    time.now = 1_000;
    expect(breaker.tryAcquire()).toBe(true);
    breaker.succeeded();
    expect(breaker.state).toBe('closed');
    // A fresh window: the failures before the circuit opened do not count against it again.
    call(breaker, 'timeout');
    expect(breaker.state).toBe('closed');
  });

  it('lets calls that were already in flight when it opened report late without extending the cooldown', () => {
    const time = { now: 0 };
    const breaker = breakerAt(time);
    const inFlight = [breaker.tryAcquire(), breaker.tryAcquire(), breaker.tryAcquire(), breaker.tryAcquire()];
    expect(inFlight).toEqual([true, true, true, true]);
    breaker.failed('timeout');
    breaker.failed('timeout');
    expect(breaker.state).toBe('open');
    time.now = 400;
    breaker.failed('timeout');
    breaker.failed('timeout');
    time.now = 500;
    expect(breaker.tryAcquire()).toBe(true); // the cooldown ran from the moment it opened
  });

  it('is off with a failure threshold of 0', () => {
    const time = { now: 0 };
    const breaker = breakerAt(time, { failureThreshold: 0 });
    for (let i = 0; i < 50; i += 1) call(breaker, 'timeout');
    expect(breaker.tryAcquire()).toBe(true);
  });
});
