/**
 * What the payments service needs from a card processor. The simulator implements it today; a real adapter
 * (Stripe, Adyen…) would implement the same four calls. Every call carries an idempotency key: the processor
 * answers a repeated key with its first answer instead of acting twice, which is what makes retrying after a
 * timeout safe.
 */

/** Per-request options: the idempotency key, and the caller's deadline as an AbortSignal. */
export interface ProviderRequestOptions {
  idempotencyKey: string;
  /** Aborted when the caller stops waiting; the provider may still have acted (the answer is what got lost). */
  signal?: AbortSignal;
}

export interface AuthorizeRequest {
  orderId: string;
  amountCents: number;
  currency: string;
}

export interface CaptureRequest {
  /** The authorization's reference. */
  reference: string;
  amountCents: number;
}

export interface VoidRequest {
  reference: string;
}

export interface RefundRequest {
  /** The captured authorization's reference. */
  reference: string;
  amountCents: number;
}

/** Why a card was declined; stored on the payment and shown to back-office users. */
export type DeclineReason = 'card_declined' | 'insufficient_funds';

/** Why the provider refused to do something impossible or malformed (no money moved). */
export type RefusalReason =
  | 'invalid_request'
  | 'idempotency_key_reused'
  | 'unknown_reference'
  | 'authorization_declined'
  | 'authorization_voided'
  | 'already_captured'
  | 'not_captured'
  | 'amount_exceeds_authorized'
  | 'amount_exceeds_refundable';

export type Refused = { outcome: 'refused'; reason: RefusalReason };

export type AuthorizeResult =
  | { outcome: 'approved'; reference: string }
  | { outcome: 'declined'; reference: string; reason: DeclineReason }
  | Refused;

/** Capture and void answer with the authorization's reference; refund with the refund's own reference. */
export type OperationResult = { outcome: 'succeeded'; reference: string } | Refused;

export interface PaymentProvider {
  authorize(request: AuthorizeRequest, options: ProviderRequestOptions): Promise<AuthorizeResult>;
  capture(request: CaptureRequest, options: ProviderRequestOptions): Promise<OperationResult>;
  void(request: VoidRequest, options: ProviderRequestOptions): Promise<OperationResult>;
  refund(request: RefundRequest, options: ProviderRequestOptions): Promise<OperationResult>;
}
