import type { Logger } from '@storefront/telemetry';

/*
 * Counters of sign-in attempts with growing locks. Every admitted attempt counts as a failure until the sign-in
 * succeeds and takes it back: counting before the password is checked (not after) is what stops a burst of
 * concurrent guesses from all passing the check before the first failure is recorded.
 */

/** How one kind of counter (an account, an address…) turns failures into locks. */
export interface ThrottleRule {
  /** Failures in a row that cost nothing. The one that reaches it, and every later one, locks the counter. */
  freeFailures: number;
  /** The first lock; each further failure doubles it. */
  firstLockMs: number;
  /** The longest lock: whatever an attacker does, a lock ends by then, so nobody is locked out for good. */
  maxLockMs: number;
  /** How long a counter is remembered after its last failure (or after its lock ends): then it starts over. */
  memoryMs: number;
}

export interface ThrottleCounter {
  key: string;
  rule: ThrottleRule;
}

export interface ThrottleStore {
  /**
   * Admits one attempt unless one of the counters is locked, atomically for all of them: refused attempts
   * count nowhere (so retrying while locked never extends a lock), admitted ones count on every counter.
   * Answers 0 when admitted, else the milliseconds until the longest lock ends.
   */
  attempt(counters: readonly ThrottleCounter[]): Promise<number>;
  /**
   * After a successful sign-in: `reset` counters start over; `refund` counters only take this attempt back,
   * so a sign-in to one's own account does not wipe the failures an address piled up on others.
   */
  succeeded(reset: readonly ThrottleCounter[], refund: readonly ThrottleCounter[]): Promise<void>;
  close(): Promise<void>;
}

/** The lock a counter gets at its `failures`-th failure in a row (0: none yet). */
export function lockAfter(failures: number, rule: ThrottleRule): number {
  if (failures < rule.freeFailures) return 0;
  return Math.min(rule.maxLockMs, rule.firstLockMs * 2 ** (failures - rule.freeFailures));
}

/**
 * The shared store (Redis, so every replica sees the same counters), and this process's own while the shared
 * one fails: throttling then holds per replica instead of vanishing, and sign-in keeps working. Both changes
 * of store are logged, once each.
 */
export class FallbackThrottleStore implements ThrottleStore {
  private usingLocal = false;

  constructor(
    private readonly shared: ThrottleStore,
    private readonly local: ThrottleStore,
    private readonly logger: Logger,
    /** Told of every call counted in this process (for a metric). */
    private readonly countedLocally: () => void = () => {},
  ) {}

  attempt(counters: readonly ThrottleCounter[]): Promise<number> {
    return this.shared.attempt(counters).then(
      (wait) => {
        this.sharedAnswered();
        return wait;
      },
      (error: unknown) => {
        this.sharedFailed(error);
        return this.local.attempt(counters);
      },
    );
  }

  succeeded(reset: readonly ThrottleCounter[], refund: readonly ThrottleCounter[]): Promise<void> {
    return this.shared.succeeded(reset, refund).then(
      () => this.sharedAnswered(),
      (error: unknown) => {
        this.sharedFailed(error);
        return this.local.succeeded(reset, refund);
      },
    );
  }

  /** Whether attempts are counted in this process right now (the shared store failed its last call). */
  get degraded(): boolean {
    return this.usingLocal;
  }

  async close(): Promise<void> {
    await Promise.all([this.shared.close(), this.local.close()]);
  }

  private sharedFailed(error: unknown): void {
    this.countedLocally();
    if (this.usingLocal) return;
    this.usingLocal = true;
    this.logger.warn({ err: error }, 'login throttle store unavailable: counting sign-in attempts in this process only');
  }

  private sharedAnswered(): void {
    if (!this.usingLocal) return;
    this.usingLocal = false;
    this.logger.info('login throttle store answering again: counting sign-in attempts across replicas');
  }
}
