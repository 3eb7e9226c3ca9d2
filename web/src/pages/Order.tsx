import { useQuery } from '@apollo/client/react';
import { useEffect } from 'react';
import { CANCEL_REASONS, ErrorMessage, formatDate, Loading, Price, sameOriginUrl, STATUS_LABELS } from '../components/common.tsx';
import { graphql } from '../generated/gql/index.ts';
import type { OrderProgressQuery as OrderProgressData } from '../generated/gql/graphql.ts';
import { announceOrdersChanged } from '../lib/tabs.ts';
import { Link } from '../router.tsx';

const OrderProgressQuery = graphql(`
  query OrderProgress($id: ID!) {
    order(id: $id) {
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
  }
`);

type OrderData = NonNullable<OrderProgressData['order']>;

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

const POLL_MS = 800;

/*
 * Live checkout progress. Until the router serves subscriptions this polls the order; a subscription to the
 * order's checkout can replace the polling here without touching the page (this hook is the seam).
 */
function useOrderProgress(id: string) {
  const result = useQuery(OrderProgressQuery, { variables: { id }, pollInterval: POLL_MS, fetchPolicy: 'cache-and-network', notifyOnNetworkStatusChange: false });
  const order = result.data?.order;
  const settled = order ? isSettled(order) : false;
  const { stopPolling } = result;
  useEffect(() => {
    if (settled) {
      stopPolling();
      announceOrdersChanged();
    }
  }, [settled, stopPolling]);
  return result;
}

export function OrderPage({ id }: { id: string }) {
  const { data, error } = useOrderProgress(id);
  if (error && !data) return <ErrorMessage error={error} />;
  if (!data) return <Loading label="Loading your order…" />;
  const order = data.order;
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
