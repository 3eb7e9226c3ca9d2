import type { Logger } from '@storefront/telemetry';

export interface CircuitBreakerOptions {
  /** Failures in a row (timeouts, connection errors, 5xx answers) that open the circuit; 0 turns breakers off. */
  failureThreshold: number;
  /** Timeouts within the window that open the circuit: a hanging subgraph costs every caller the full deadline. */
  timeoutThreshold: number;
  /** Share of failed calls within the window that opens the circuit, once the window holds `minimumCalls`. */
  failureRate: number;
  /** Calls the window must hold before its failure rate counts (a lone failed call is not a 100 % rate). */
  minimumCalls: number;
  /** The sliding window the rate and the timeouts are counted over. */
  windowMs: number;
  /** How long an open circuit fails calls at once before letting one probe through. */
  cooldownMs: number;
}

export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerOptions = {
  failureThreshold: 5,
  timeoutThreshold: 2,
  failureRate: 0.5,
  minimumCalls: 20,
  windowMs: 10_000,
  cooldownMs: 5_000,
};

export type CircuitState = 'closed' | 'open' | 'half-open';

/** Why a call failed: a timeout weighs more than an error, as each one held a caller for the whole deadline. */
export type CallFailure = 'error' | 'timeout';

/** The window is kept as a ring of buckets, so counting costs the same at 10 calls a second as at 10,000. */
const BUCKETS = 10;

interface Bucket {
  /** Which slice of time (now / bucket length) this bucket holds; a stale one is reset before use. */
  slice: number;
  calls: number;
  failures: number;
  timeouts: number;
}

/**
 * One subgraph's circuit. Closed: calls go through and their outcomes are counted over a sliding window.
 * It opens on any of: `failureThreshold` failures in a row, `timeoutThreshold` timeouts within the window, or a
 * failure rate of `failureRate` over at least `minimumCalls` calls within the window. Open: calls fail at once
 * for `cooldownMs`, so a dead or hanging subgraph costs each request nothing instead of a full timeout and is
 * not piled on while it recovers. Half-open: one probe call goes through (the others still fail at once); its
 * success closes the circuit with a fresh window, its failure opens it again for another cooldown.
 */
export class CircuitBreaker {
  private current: CircuitState = 'closed';
  private consecutiveFailures = 0;
  private openedAt = 0;
  private probing = false;
  private readonly buckets: Bucket[] = Array.from({ length: BUCKETS }, () => ({ slice: -1, calls: 0, failures: 0, timeouts: 0 }));
  private readonly bucketMs: number;

  constructor(
    readonly subgraph: string,
    private readonly options: CircuitBreakerOptions,
    private readonly logger?: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.bucketMs = Math.max(1, Math.ceil(options.windowMs / BUCKETS));
  }

  get state(): CircuitState {
    return this.current;
  }

  /** Whether a call may go ahead now; a caller that gets true must report `succeeded()` or `failed()`. */
  tryAcquire(): boolean {
    if (this.options.failureThreshold <= 0 || this.current === 'closed') return true;
    if (this.current === 'open') {
      if (this.now() - this.openedAt < this.options.cooldownMs) return false;
      this.current = 'half-open';
      this.logger?.info({ subgraph: this.subgraph }, 'circuit half-open: probing the subgraph');
    }
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  succeeded(): void {
    this.consecutiveFailures = 0;
    if (this.current !== 'closed') {
      this.logger?.info({ subgraph: this.subgraph }, 'circuit closed: the subgraph answers again');
      this.current = 'closed';
      this.probing = false;
      this.resetWindow();
      return;
    }
    this.bucket().calls += 1;
  }

  /** A call that says nothing of the subgraph's health (cut short by the request's own budget): not counted. */
  abandoned(): void {
    this.probing = false;
  }

  failed(failure: CallFailure = 'error'): void {
    this.consecutiveFailures += 1;
    // A call let through before the circuit opened, reporting late, changes nothing: the cooldown runs on.
    if (this.current === 'open') return;
    if (this.current === 'half-open') {
      this.probing = false;
      this.open(failure === 'timeout' ? 'the probe timed out' : 'the probe failed');
      return;
    }
    const bucket = this.bucket();
    bucket.calls += 1;
    bucket.failures += 1;
    if (failure === 'timeout') bucket.timeouts += 1;
    const reason = this.reasonToOpen();
    if (reason) this.open(reason);
  }

  private reasonToOpen(): string | undefined {
    if (this.consecutiveFailures >= this.options.failureThreshold) return `${this.consecutiveFailures} failures in a row`;
    const window = this.window();
    if (this.options.timeoutThreshold > 0 && window.timeouts >= this.options.timeoutThreshold) return `${window.timeouts} timeouts within ${this.options.windowMs} ms`;
    if (window.calls >= this.options.minimumCalls && window.failures / window.calls >= this.options.failureRate) {
      return `${window.failures} of ${window.calls} calls failed within ${this.options.windowMs} ms`;
    }
    return undefined;
  }

  private open(reason: string): void {
    if (this.current === 'closed') {
      this.logger?.warn({ subgraph: this.subgraph, reason, cooldownMs: this.options.cooldownMs }, 'circuit open: failing calls to the subgraph at once');
    }
    this.current = 'open';
    this.openedAt = this.now();
  }

  /** The bucket of the current slice of time, emptied first if it still holds an older slice. */
  private bucket(): Bucket {
    const slice = Math.floor(this.now() / this.bucketMs);
    const index = slice % BUCKETS;
    let bucket = this.buckets[index];
    if (!bucket || bucket.slice !== slice) {
      bucket = { slice, calls: 0, failures: 0, timeouts: 0 };
      this.buckets[index] = bucket;
    }
    return bucket;
  }

  private window(): { calls: number; failures: number; timeouts: number } {
    const oldest = Math.floor(this.now() / this.bucketMs) - BUCKETS + 1;
    const totals = { calls: 0, failures: 0, timeouts: 0 };
    for (const bucket of this.buckets) {
      if (bucket.slice < oldest) continue;
      totals.calls += bucket.calls;
      totals.failures += bucket.failures;
      totals.timeouts += bucket.timeouts;
    }
    return totals;
  }

  private resetWindow(): void {
    for (const bucket of this.buckets) Object.assign(bucket, { slice: -1, calls: 0, failures: 0, timeouts: 0 });
  }
}

/**
 * The breakers of every subgraph by name. The executor looks them up per call, so a failing subgraph's state
 * survives supergraph reloads.
 */
export class CircuitBreakers {
  private readonly byName = new Map<string, CircuitBreaker>();

  constructor(
    private readonly options: CircuitBreakerOptions,
    private readonly logger?: Logger,
  ) {}

  /** False when breakers are configured off (a failure threshold of 0): calls are neither counted nor refused. */
  get enabled(): boolean {
    return this.options.failureThreshold > 0;
  }

  for(subgraph: string): CircuitBreaker {
    let breaker = this.byName.get(subgraph);
    if (!breaker) {
      breaker = new CircuitBreaker(subgraph, this.options, this.logger);
      this.byName.set(subgraph, breaker);
    }
    return breaker;
  }

  /** Each subgraph's circuit state, for /health and metrics. */
  states(): Record<string, CircuitState> {
    return Object.fromEntries([...this.byName].map(([name, breaker]) => [name, breaker.state]));
  }
}
