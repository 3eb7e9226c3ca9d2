import { createHash } from 'node:crypto';
import type {
  AuthorizeRequest,
  AuthorizeResult,
  CaptureRequest,
  OperationResult,
  PaymentProvider,
  ProviderRequestOptions,
  RefundRequest,
  Refused,
  RefusalReason,
  VoidRequest,
} from './provider.ts';

/**
 * A deterministic card processor in the spirit of Stripe's test mode. What it answers is a pure function of
 * the request and these settings, never of chance, so tests and demos behave the same on every run:
 *  - an amount ending in 13 cents is declined (card_declined), one above `amountLimitCents` too
 *    (insufficient_funds), and one ending in 07 answers too late (a timeout);
 *  - besides, `declineRate` and `timeoutRate` of orders are declined or answered late, chosen by a hash of the
 *    order id, so retrying the same payment meets the same fate until the settings change.
 */
export interface SimulatorSettings {
  /** Fraction (0..1) of orders whose card is declined. */
  declineRate: number;
  /** Fraction (0..1) of orders whose authorization is answered too late. */
  timeoutRate: number;
  /** Delay before every answer. */
  latencyMs: number;
  /** Authorizations above this amount (minor units) are declined with insufficient_funds. */
  amountLimitCents: number;
  /** How long a "timeout" answer is held back: longer than any sane caller deadline. */
  hangMs: number;
  /** The magic amounts (…13 declined, …07 timeout); off for load tests that need every order to pass. */
  magicAmounts: boolean;
}

export const DEFAULT_SIMULATOR_SETTINGS: SimulatorSettings = {
  declineRate: 0,
  timeoutRate: 0,
  latencyMs: 0,
  amountLimitCents: 5_000_000,
  hangMs: 30_000,
  magicAmounts: true,
};

/** The processor's view of one authorization. */
export interface LedgerEntry {
  reference: string;
  orderId: string;
  currency: string;
  state: 'authorized' | 'declined' | 'voided' | 'captured';
  authorizedCents: number;
  capturedCents: number;
  refundedCents: number;
}

export interface SimulatorOptions {
  /**
   * Looks up an authorization the simulator does not remember. A real processor's ledger outlives our process;
   * the simulator's lives in memory, so after a restart (or for seeded payments) it asks where our own records
   * say the processor stood. Without it, unknown references are refused.
   */
  recall?: (reference: string) => Promise<LedgerEntry | null>;
}

type Operation = 'authorize' | 'capture' | 'void' | 'refund';

interface Remembered {
  fingerprint: string;
  result: Promise<AuthorizeResult | OperationResult>;
}

const refused = (reason: RefusalReason): Refused => ({ outcome: 'refused', reason });

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** A stable number in [0, 1) for a text: the same order always lands in the same place. */
export function hashFraction(text: string): number {
  return sha256(text).readUInt32BE(0) / 2 ** 32;
}

/** References derive from the idempotency key, so a replay (even after a restart) names the same thing. */
function referenceFor(prefix: 'pi' | 're', idempotencyKey: string): string {
  return `${prefix}_sim_${sha256(idempotencyKey).toString('hex').slice(0, 24)}`;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    if (ms <= 0) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const isPositiveAmount = (cents: number) => Number.isSafeInteger(cents) && cents > 0;

export class SimulatedPaymentProvider implements PaymentProvider {
  #settings: SimulatorSettings;
  readonly #recall: SimulatorOptions['recall'];
  readonly #ledger = new Map<string, LedgerEntry>();
  readonly #recalls = new Map<string, Promise<LedgerEntry | undefined>>();
  readonly #keys = new Map<string, Remembered>();
  #requests = 0;

  constructor(settings: Partial<SimulatorSettings> = {}, options: SimulatorOptions = {}) {
    this.#settings = { ...DEFAULT_SIMULATOR_SETTINGS, ...settings };
    this.#recall = options.recall;
  }

  get settings(): Readonly<SimulatorSettings> {
    return this.#settings;
  }

  /** Changes the settings for later requests (what was already answered stays answered). */
  configure(changes: Partial<SimulatorSettings>): void {
    this.#settings = { ...this.#settings, ...changes };
  }

  /** Every request received, replays included. */
  get requestCount(): number {
    return this.#requests;
  }

  /** A copy of the ledger entry of one authorization. */
  entry(reference: string): LedgerEntry | undefined {
    const entry = this.#ledger.get(reference);
    return entry && { ...entry };
  }

  /** Every authorization (approved or declined) made for an order: more than one means a double charge. */
  authorizationsFor(orderId: string): LedgerEntry[] {
    return [...this.#ledger.values()].filter((entry) => entry.orderId === orderId).map((entry) => ({ ...entry }));
  }

  authorize(request: AuthorizeRequest, options: ProviderRequestOptions): Promise<AuthorizeResult> {
    const { magicAmounts, timeoutRate } = this.#settings;
    const late = (magicAmounts && request.amountCents % 100 === 7) || hashFraction(`timeout:${request.orderId}`) < timeoutRate;
    return this.#answer('authorize', request, options, late, async () => this.#authorize(request, options.idempotencyKey));
  }

  capture(request: CaptureRequest, options: ProviderRequestOptions): Promise<OperationResult> {
    return this.#answer('capture', request, options, false, async () => this.#capture(request));
  }

  void(request: VoidRequest, options: ProviderRequestOptions): Promise<OperationResult> {
    return this.#answer('void', request, options, false, async () => this.#void(request));
  }

  refund(request: RefundRequest, options: ProviderRequestOptions): Promise<OperationResult> {
    return this.#answer('refund', request, options, false, async () => this.#refund(request, options.idempotencyKey));
  }

  /**
   * Acts at most once per idempotency key, then answers after the configured latency. The work happens
   * before the wait, like a processor whose answer is lost on the way back: a caller that gave up may still
   * have been charged, and only a retry with the same key tells it how things ended.
   */
  async #answer<Result extends AuthorizeResult | OperationResult>(
    operation: Operation,
    request: object,
    { idempotencyKey, signal }: ProviderRequestOptions,
    late: boolean,
    act: () => Promise<Result>,
  ): Promise<Result> {
    this.#requests += 1;
    signal?.throwIfAborted();
    const fingerprint = JSON.stringify([operation, request]);
    let remembered = this.#keys.get(idempotencyKey);
    if (!remembered) {
      const result = act();
      remembered = { fingerprint, result };
      this.#keys.set(idempotencyKey, remembered);
      // A failure (e.g. recall could not reach the database) did nothing, so the key may be tried again.
      result.catch(() => this.#keys.delete(idempotencyKey));
    }
    // The stored promise has this operation's result type whenever the fingerprint (which names it) matches.
    const result = remembered.fingerprint === fingerprint ? ((await remembered.result) as Result) : (refused('idempotency_key_reused') as Result);
    const { latencyMs, hangMs } = this.#settings;
    await sleep(latencyMs + (late ? hangMs : 0), signal);
    return result;
  }

  #authorize({ orderId, amountCents, currency }: AuthorizeRequest, idempotencyKey: string): AuthorizeResult {
    if (!isPositiveAmount(amountCents) || !/^[A-Z]{3}$/.test(currency)) return refused('invalid_request');
    const { magicAmounts, amountLimitCents, declineRate } = this.#settings;
    const reference = referenceFor('pi', idempotencyKey);
    const decline =
      magicAmounts && amountCents % 100 === 13
        ? 'card_declined'
        : amountCents > amountLimitCents
          ? 'insufficient_funds'
          : hashFraction(`decline:${orderId}`) < declineRate
            ? 'card_declined'
            : null;
    this.#ledger.set(reference, {
      reference,
      orderId,
      currency,
      state: decline ? 'declined' : 'authorized',
      authorizedCents: decline ? 0 : amountCents,
      capturedCents: 0,
      refundedCents: 0,
    });
    return decline ? { outcome: 'declined', reference, reason: decline } : { outcome: 'approved', reference };
  }

  async #capture({ reference, amountCents }: CaptureRequest): Promise<OperationResult> {
    const entry = await this.#entryFor(reference);
    if (!entry) return refused('unknown_reference');
    if (!isPositiveAmount(amountCents)) return refused('invalid_request');
    const blocked = this.#unlessAuthorized(entry);
    if (blocked) return blocked;
    if (amountCents > entry.authorizedCents) return refused('amount_exceeds_authorized');
    entry.state = 'captured';
    entry.capturedCents = amountCents;
    return { outcome: 'succeeded', reference };
  }

  async #void({ reference }: VoidRequest): Promise<OperationResult> {
    const entry = await this.#entryFor(reference);
    if (!entry) return refused('unknown_reference');
    const blocked = this.#unlessAuthorized(entry);
    if (blocked) return blocked;
    entry.state = 'voided';
    return { outcome: 'succeeded', reference };
  }

  async #refund({ reference, amountCents }: RefundRequest, idempotencyKey: string): Promise<OperationResult> {
    const entry = await this.#entryFor(reference);
    if (!entry) return refused('unknown_reference');
    if (!isPositiveAmount(amountCents)) return refused('invalid_request');
    if (entry.state !== 'captured') return refused('not_captured');
    if (amountCents > entry.capturedCents - entry.refundedCents) return refused('amount_exceeds_refundable');
    entry.refundedCents += amountCents;
    return { outcome: 'succeeded', reference: referenceFor('re', idempotencyKey) };
  }

  /** Capture and void both need a live authorization. */
  #unlessAuthorized(entry: LedgerEntry): Refused | null {
    switch (entry.state) {
      case 'authorized':
        return null;
      case 'declined':
        return refused('authorization_declined');
      case 'voided':
        return refused('authorization_voided');
      case 'captured':
        return refused('already_captured');
    }
  }

  /** The ledger entry, recalled once (and shared by concurrent requests) when this process never saw it. */
  async #entryFor(reference: string): Promise<LedgerEntry | undefined> {
    const known = this.#ledger.get(reference);
    if (known || !this.#recall) return known;
    let recalling = this.#recalls.get(reference);
    if (!recalling) {
      const recall = this.#recall;
      recalling = recall(reference).then((entry) => {
        if (entry && !this.#ledger.has(reference)) this.#ledger.set(reference, { ...entry });
        return this.#ledger.get(reference);
      });
      this.#recalls.set(reference, recalling);
      recalling.then(
        () => this.#recalls.delete(reference),
        () => this.#recalls.delete(reference),
      );
    }
    return recalling;
  }
}
