import { useQuery, useSubscription } from '@apollo/client/react';
import { useEffect, useState } from 'react';
import { CANCEL_REASONS, ErrorMessage, formatDate, Loading, Price, sameOriginUrl, STATUS_LABELS } from '../components/common.tsx';
import { getFragmentData, graphql } from '../generated/gql/index.ts';
import type { ResultOf } from '@graphql-typed-document-node/core';
import { announceOrdersChanged } from '../lib/tabs.ts';
import { Link } from '../router.tsx';

export const OrderProgressFragment = graphql(`
  fragment OrderProgress_order on Order {
    id
    number
    status
    cancelReason
    placedAt
    total {
      amount
      currency
    }
    checkout {
      state
      failureReason
      updatedAt
    }
    payment {
      id
      status
      declineReason
    }
    invoice {
      number
      url
    }
    items(first: 50) {
      edges {
        node {
          id
          quantity
          lineTotal {
            amount
            currency
          }
          purchasable {
            id
            name
          }
        }
      }
    }
  }
`);

const OrderProgressQuery = graphql(`
  query OrderProgress($id: ID!) {
    order(id: $id) {
      id
      ...OrderProgress_order
    }
  }
`);

/** The order as it is, then again after each change of its status or checkout state (the router streams it). */
const OrderUpdatedSubscription = graphql(`
  subscription OrderUpdated($id: ID!) {
    orderUpdated(id: $id) {
      id
      ...OrderProgress_order
    }
  }
`);

type OrderData = ResultOf<typeof OrderProgressFragment>;

const STEPS = [
  ['RESERVING_STOCK', 'Reserving stock'],
  ['AUTHORIZING_PAYMENT', 'Authorizing payment'],
  ['COMMITTING_STOCK', 'Committing stock'],
  ['CAPTURING_PAYMENT', 'Capturing payment'],
  ['COMPLETED', 'Paid'],
] as const;

/** Whether the order will not change by itself any more (the invoice of a paid order still follows). */
export function isSettled(order: Pick<OrderData, 'status' | 'invoice'>): boolean {
  return order.status === 'CANCELLED' || order.status === 'FULFILLED' || (order.status === 'PAID' && order.invoice !== null);
}

const POLL_MS = 1_000;

/*
 * Live checkout progress: the router's orderUpdated subscription (multipart HTTP, Apollo Client's transport)
 * writes each new state of the order into the cache, where the page's query reads it. Should the
 * subscription fail or end early (no subscriptions behind this router, the access token expired mid-way), the
 * page falls back to polling the order until it settles; a PAID order is polled until its invoice is ready.
 */
function useOrderProgress(id: string) {
  const result = useQuery(OrderProgressQuery, { variables: { id }, fetchPolicy: 'cache-and-network' });
  const order = result.data?.order ? getFragmentData(OrderProgressFragment, result.data.order) : undefined;
  const settled = order ? isSettled(order) : false;
  const [ended, setEnded] = useState(false);
  const live = useSubscription(OrderUpdatedSubscription, { variables: { id }, skip: settled, onComplete: () => setEnded(true) });
  // The invoice is rendered after the order is PAID, which is no change of status the subscription reports.
  const awaitingInvoice = order?.status === 'PAID' && !order.invoice;
  const polling = !settled && (live.error !== undefined || ended || awaitingInvoice);
  const { startPolling, stopPolling } = result;
  useEffect(() => {
    if (polling) startPolling(POLL_MS);
    else stopPolling();
  }, [polling, startPolling, stopPolling]);
  useEffect(() => {
    if (settled) announceOrdersChanged();
  }, [settled]);
  return { ...result, order };
}

export function OrderPage({ id }: { id: string }) {
  const { data, error, order } = useOrderProgress(id);
  if (error && !data) return <ErrorMessage error={error} />;
  if (!data) return <Loading label="Loading your order…" />;
  if (!order) return <p>This order does not exist, or it is not yours.</p>;
  const state = order.checkout?.state;
  const reached = STEPS.findIndex(([step]) => step === state);
  return (
    <section aria-labelledby="order-title">
      <h1 id="order-title">Order {order.number}</h1>
      <p>
        Placed {formatDate(order.placedAt)} · Total <Price money={order.total} />
      </p>
      <div className="panel" aria-live="polite">
        <p className={`status status-${order.status.toLowerCase()}`} data-testid="order-status">
          {STATUS_LABELS[order.status] ?? order.status}
        </p>
        {order.status === 'CANCELLED' ? (
          <p className="error" data-testid="cancel-reason">
            {CANCEL_REASONS[order.cancelReason ?? ''] ?? 'The order was cancelled.'}
            {order.payment?.declineReason ? ` (${order.payment.declineReason.replaceAll('_', ' ')})` : ''}
          </p>
        ) : (
          <ol className="steps">
            {STEPS.map(([step, label], i) => (
              <li key={step} className={i < reached || state === 'COMPLETED' ? 'done' : i === reached ? 'current' : ''} aria-current={i === reached ? 'step' : undefined}>
                {label}
              </li>
            ))}
          </ol>
        )}
        {order.status === 'PAID' && !order.invoice ? <p className="muted">Preparing your invoice…</p> : null}
        {order.invoice ? (
          <p>
            <a href={sameOriginUrl(order.invoice.url)} download={`${order.invoice.number}.pdf`} data-testid="invoice-link">
              Download invoice {order.invoice.number} (PDF)
            </a>
          </p>
        ) : null}
      </div>
      <h2>Items</h2>
      <ul>
        {order.items.edges.map(({ node }) => (
          <li key={node.id}>
            {node.quantity} × {node.purchasable ? <Link to={`/products/${node.purchasable.id}`}>{node.purchasable.name}</Link> : 'Item details unavailable'} —{' '}
            <Price money={node.lineTotal} />
          </li>
        ))}
      </ul>
      <p>
        <Link to="/account">All your orders</Link>
      </p>
    </section>
  );
}
