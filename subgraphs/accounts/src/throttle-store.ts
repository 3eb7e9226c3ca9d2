import type { Logger } from '@storefront/common';

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

/** How long a warning about the shared store being away is held back after the last one. */
const WARN_EVERY_MS = 30_000;

/**
 * The shared store (Redis, so every replica sees the same counters), and this process's own while the shared
 * one fails: throttling then holds per replica instead of vanishing, and sign-in keeps working.
 */
export class FallbackThrottleStore implements ThrottleStore {
  private lastWarning = 0;

  constructor(
    private readonly shared: ThrottleStore,
    private readonly local: ThrottleStore,
    private readonly logger: Logger,
  ) {}

  attempt(counters: readonly ThrottleCounter[]): Promise<number> {
    return this.shared.attempt(counters).catch((error: unknown) => {
      this.warn(error);
      return this.local.attempt(counters);
    });
  }

  succeeded(reset: readonly ThrottleCounter[], refund: readonly ThrottleCounter[]): Promise<void> {
    return this.shared.succeeded(reset, refund).catch((error: unknown) => {
      this.warn(error);
      return this.local.succeeded(reset, refund);
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.shared.close(), this.local.close()]);
  }

  private warn(error: unknown): void {
    const now = Date.now();
    if (now - this.lastWarning < WARN_EVERY_MS) return;
    this.lastWarning = now;
    this.logger.warn({ err: error }, 'login throttle store unavailable: counting sign-in attempts in this process only');
  }
}
