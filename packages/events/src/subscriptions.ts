import { type EventSubscriptions } from './routing.ts';

/**
 * The store's event topology: each consumer group (one BullMQ queue, events.<consumer>) and the event types
 * it receives. Every relay reads this map to fan an event out, so a new consumer is one entry here plus its
 * handlers in the owning subgraph's `workers.ts`. A consumer belongs to one service and writes only to that
 * service's database.
 */
export const STORE_SUBSCRIPTIONS = {
  // orders orchestrates the checkout saga: it hears every reply of inventory and payments.
  'orders-saga': [
    'StockReserved',
    'StockReservationFailed',
    'StockCommitted',
    'StockCommitFailed',
    'StockReleased',
    'StockReservationExpired',
    'PaymentAuthorized',
    'PaymentDeclined',
    'PaymentCaptured',
    'PaymentVoided',
  ],
  inventory: ['StockReservationRequested', 'StockCommitRequested', 'StockReleaseRequested'],
  payments: ['PaymentAuthorizationRequested', 'PaymentCaptureRequested', 'PaymentVoidRequested'],
  // notifications tells customers about paid and cancelled orders and welcomes new users (keeping its
  // recipients replica from UserRegistered).
  notifications: ['OrderStatusChanged', 'UserRegistered'],
  // catalog keeps each product's rating count and sum (TOP_RATED search) from reviews' events.
  'catalog-ratings': ['ReviewPublished', 'ReviewDeleted'],
  // reviews records verified purchases from orders turning PAID (the items travel with the change) and the
  // names reviews are signed with from new users.
  reviews: ['OrderStatusChanged', 'UserRegistered'],
  // orders renders the invoice of each paid order (a jobs.invoices job per OrderStatusChanged to PAID).
  'orders-documents': ['OrderStatusChanged'],
} as const satisfies EventSubscriptions;

/** The queue on which a service prunes its own event tables (housekeeping.ts; one per database). */
export const eventHousekeepingQueue = (service: string) => `jobs.${service}-event-housekeeping`;

/** The services that relay or consume events, so have event tables to prune. */
const SERVICES_WITH_EVENT_TABLES = ['accounts', 'catalog', 'inventory', 'notifications', 'orders', 'payments', 'reviews'];

/**
 * The heavy-job queues (jobs.<name>) some service's workers read. The operations subgraph and `npm run dlq`
 * list their dead letters beside the consumers'; a new job queue is one entry here.
 */
export const JOB_QUEUES: readonly string[] = [
  'jobs.invoices',
  'jobs.sales-reports',
  'jobs.product-imports',
  'jobs.email-deliveries',
  'jobs.saga-deadlines',
  'jobs.reservation-expiry',
  ...SERVICES_WITH_EVENT_TABLES.map(eventHousekeepingQueue),
];
