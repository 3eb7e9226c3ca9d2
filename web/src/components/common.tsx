import { CombinedGraphQLErrors, type ErrorLike } from '@apollo/client';
import type { ReactNode } from 'react';
import { formatMoney, type MoneyValue } from '../lib/money.ts';
import { Link } from '../router.tsx';

export function Price({ money, className }: { money: MoneyValue; className?: string }) {
  return <span className={className ?? 'price'}>{formatMoney(money)}</span>;
}

export function Rating({ average, count }: { average: number | null | undefined; count: number | null | undefined }) {
  if (!count || average == null) return <span className="rating muted">No reviews yet</span>;
  const rounded = Math.round(average * 10) / 10;
  return (
    <span className="rating" aria-label={`Rated ${rounded} out of 5 from ${count} review${count === 1 ? '' : 's'}`}>
      <span aria-hidden="true">{'★'.repeat(Math.round(average)).padEnd(5, '☆')}</span> {rounded} ({count})
    </span>
  );
}

export function StockBadge({ inStock, available }: { inStock: boolean | null; available?: number | undefined }) {
  // null: inventory did not answer; the rest of the page still shows.
  if (inStock === null) return <span className="badge">Stock unknown</span>;
  if (!inStock) return <span className="badge badge-out">Out of stock</span>;
  if (available !== undefined && available <= 5) return <span className="badge badge-low">Only {available} left</span>;
  return <span className="badge badge-in">In stock</span>;
}

/** Shows where a request failed: the GraphQL error codes in words, or the network failure. */
export function ErrorMessage({ error, children }: { error: ErrorLike | undefined | null; children?: ReactNode }) {
  if (!error) return null;
  let message = error.message;
  if (CombinedGraphQLErrors.is(error)) {
    const codes = error.errors.map((e) => e.extensions?.code);
    if (codes.includes('UNAUTHENTICATED')) message = 'Your session has ended. Please sign in again.';
    else if (codes.includes('UNAUTHORIZED') || codes.includes('FORBIDDEN')) message = 'You are not allowed to see this.';
    else if (codes.includes('RATE_LIMITED')) message = 'Too many requests. Please wait a moment.';
    else if (codes.includes('SUBGRAPH_UNAVAILABLE') || codes.includes('SUBGRAPH_TIMEOUT')) message = 'Part of the store is not answering right now; please try again.';
  }
  return (
    <div className="error" role="alert">
      {message}
      {children}
    </div>
  );
}

/** Where one subgraph's part of a page did not come (a null field in a partial answer). */
export function Unavailable({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      {what} {what.endsWith('s') ? 'are' : 'is'} unavailable right now.
    </p>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status">
      {label}
    </p>
  );
}

export function SignInPrompt({ what }: { what: string }) {
  const back = encodeURIComponent(window.location.pathname + window.location.search);
  return (
    <div className="panel">
      <p>
        Please <Link to={`/sign-in?next=${back}`}>sign in</Link> {what}.
      </p>
    </div>
  );
}

export function Field({ label, error, children, id }: { label: string; error?: string | undefined; children: ReactNode; id: string }) {
  return (
    <div className={error ? 'field field-invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children}
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function formatDate(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

export const STATUS_LABELS: Record<string, string> = {
  PENDING: 'Pending',
  RESERVED: 'Reserved',
  PAID: 'Paid',
  FULFILLED: 'Shipped',
  CANCELLED: 'Cancelled',
};

export const CANCEL_REASONS: Record<string, string> = {
  CUSTOMER_REQUEST: 'You cancelled the order.',
  OUT_OF_STOCK: 'Some items were out of stock.',
  PAYMENT_DECLINED: 'The payment was declined.',
  PAYMENT_TIMEOUT: 'The payment provider did not answer in time.',
  RESERVATION_EXPIRED: 'The stock reservation expired before payment.',
};

/** A signed download link, made relative so it goes through the same origin (Vite's proxy, or the router). */
export function sameOriginUrl(url: string): string {
  try {
    const parsed = new URL(url, window.location.origin);
    return parsed.pathname + parsed.search;
  } catch {
    return url;
  }
}
