import type { Fetcher } from '@apollo/utils.fetcher';
import { ErrorCode, type Logger } from '@storefront/common';
import { GraphQLError } from 'graphql';

export interface CircuitBreakerOptions {
  /** Consecutive failures (timeouts, connection errors, 5xx answers) that open the circuit; 0 turns it off. */
  failureThreshold: number;
  /** How long an open circuit fails calls at once before letting one probe through. */
  cooldownMs: number;
}

export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerOptions = { failureThreshold: 5, cooldownMs: 10_000 };

export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * One subgraph's circuit. Closed: calls go through and consecutive failures are counted. Open (after
 * `failureThreshold` of them): calls fail at once for `cooldownMs`, so a hanging subgraph costs each request
 * nothing instead of a full timeout and stops being piled on while it recovers. Half-open: one probe call goes
 * through (the others still fail at once); its success closes the circuit, its failure opens it again.
 */
export class CircuitBreaker {
  private current: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probing = false;

  constructor(
    readonly subgraph: string,
    private readonly options: CircuitBreakerOptions,
    private readonly logger?: Logger,
    private readonly now: () => number = Date.now,
  ) {}

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
    this.failures = 0;
    if (this.current !== 'closed') this.logger?.info({ subgraph: this.subgraph }, 'circuit closed: the subgraph answers again');
    this.current = 'closed';
    this.probing = false;
  }

  failed(): void {
    this.failures += 1;
    const probeFailed = this.current === 'half-open';
    this.probing = false;
    if (probeFailed || (this.current === 'closed' && this.failures >= this.options.failureThreshold)) {
      if (this.current === 'closed') {
        this.logger?.warn({ subgraph: this.subgraph, failures: this.failures, cooldownMs: this.options.cooldownMs }, 'circuit open: failing calls to the subgraph at once');
      }
      this.current = 'open';
      this.openedAt = this.now();
    }
  }
}

export function subgraphUnavailable(subgraph: string): GraphQLError {
  return new GraphQLError(`The ${subgraph} service is unavailable; its fields are missing from this response. Try again shortly.`, {
    extensions: { code: ErrorCode.SUBGRAPH_UNAVAILABLE, serviceName: subgraph },
  });
}

/**
 * A fetcher that asks the breaker first and reports each outcome to it. A 5xx answer counts as a failure but
 * is still returned, so the gateway reports what the subgraph said; 4xx answers are the caller's fault, not
 * the subgraph's.
 */
export function guardedFetcher(fetcher: Fetcher, breaker: CircuitBreaker): Fetcher {
  return (async (...args: Parameters<Fetcher>) => {
    if (!breaker.tryAcquire()) throw subgraphUnavailable(breaker.subgraph);
    let response: Awaited<ReturnType<Fetcher>>;
    try {
      response = await fetcher(...args);
    } catch (error) {
      breaker.failed();
      throw error;
    }
    if (response.status >= 500) breaker.failed();
    else breaker.succeeded();
    return response;
  }) as Fetcher;
}

/**
 * The breakers of every subgraph by name. The gateway builds new data sources on each supergraph reload;
 * looking breakers up here keeps a failing subgraph's state across reloads.
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

  /** `fetcher` guarded by the named subgraph's breaker (unguarded when breakers are off). */
  guard(subgraph: string, fetcher: Fetcher): Fetcher {
    return this.options.failureThreshold > 0 ? guardedFetcher(fetcher, this.for(subgraph)) : fetcher;
  }
}
