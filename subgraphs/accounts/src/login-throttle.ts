import { createHash } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { ThrottleCounter, ThrottleRule, ThrottleStore } from './throttle-store.ts';

/*
 * Throttling of logIn. Three counters, chosen so that guessing is slow and yet no one can keep a user out:
 *
 * - one account from one address: the tight one. Five free failures, then locks from 1 s doubling to 15 min.
 *   A user whose e-mail an attacker hammers from elsewhere is not locked by it.
 * - one account from every address together: a botnet guessing one password. Looser (20 free failures) and
 *   capped at 5 min, so an attack spread over many addresses delays the owner by minutes at most.
 * - one address, whatever e-mails it tries: password spraying, and guessing which e-mails exist (unknown
 *   e-mails count exactly like known ones).
 *
 * Counters are keyed by the e-mail as typed (normalised), never by whether an account has it, so a throttled
 * answer is the same for every e-mail. The router sends the client's address on every call; a call without
 * one (a test, or a router behind an unconfigured proxy) counts as coming from one unknown address: the first
 * counter then holds per account, and the other two are skipped.
 */

/** The GraphQL error code of a refused attempt; `extensions.retryAfterSeconds` says when to try again. */
export const TOO_MANY_ATTEMPTS = 'TOO_MANY_ATTEMPTS';

export interface LoginThrottlePolicy {
  accountFromAddress: ThrottleRule;
  account: ThrottleRule;
  address: ThrottleRule;
}

const MINUTE_MS = 60_000;

export const DEFAULT_LOGIN_THROTTLE_POLICY: LoginThrottlePolicy = {
  accountFromAddress: { freeFailures: 5, firstLockMs: 1_000, maxLockMs: 15 * MINUTE_MS, memoryMs: 15 * MINUTE_MS },
  account: { freeFailures: 20, firstLockMs: 1_000, maxLockMs: 5 * MINUTE_MS, memoryMs: 60 * MINUTE_MS },
  address: { freeFailures: 50, firstLockMs: 1_000, maxLockMs: 15 * MINUTE_MS, memoryMs: 60 * MINUTE_MS },
};

export interface LoginAttempt {
  /** Normalised as logIn looks it up (trimmed, lower case). */
  email: string;
  /** The client's address as the router saw it (client-address.ts); undefined when not sent. */
  clientAddress: string | undefined;
}

/** Counters hold a digest of the e-mail, so the shared store holds no e-mail addresses. */
const digest = (email: string) => createHash('sha256').update(email).digest('base64url');

export class LoginThrottle {
  constructor(
    private readonly store: ThrottleStore,
    private readonly policy: LoginThrottlePolicy,
    private readonly keyPrefix: string,
  ) {}

  /**
   * Counts the attempt, or throws TOO_MANY_ATTEMPTS without counting it. Called before the account is looked
   * up or a password hashed, so a refusal costs the same, and says the same, for every e-mail.
   */
  async admit(attempt: LoginAttempt): Promise<void> {
    const waitMs = await this.store.attempt(this.counters(attempt).all);
    if (waitMs > 0) throw tooManyAttempts(waitMs);
  }

  /** The password was right: the account's counters start over; the address only gets this attempt back. */
  async succeeded(attempt: LoginAttempt): Promise<void> {
    const { account, address } = this.counters(attempt);
    await this.store.succeeded(account, address);
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private counters({ email, clientAddress }: LoginAttempt): { all: ThrottleCounter[]; account: ThrottleCounter[]; address: ThrottleCounter[] } {
    const { keyPrefix, policy } = this;
    const user = digest(email);
    const fromAddress: ThrottleCounter = { key: `${keyPrefix}account-from:${user}:${clientAddress ?? 'unknown'}`, rule: policy.accountFromAddress };
    if (clientAddress === undefined) return { all: [fromAddress], account: [fromAddress], address: [] };
    const everywhere: ThrottleCounter = { key: `${keyPrefix}account:${user}`, rule: policy.account };
    const address: ThrottleCounter = { key: `${keyPrefix}address:${clientAddress}`, rule: policy.address };
    return { all: [fromAddress, everywhere, address], account: [fromAddress, everywhere], address: [address] };
  }
}

export function tooManyAttempts(waitMs: number): GraphQLError {
  const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1_000));
  return new GraphQLError(`Too many sign-in attempts; try again in ${retryAfterSeconds} s`, {
    extensions: { code: TOO_MANY_ATTEMPTS, retryAfterSeconds },
  });
}
