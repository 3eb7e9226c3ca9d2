/*
 * The books after a fault: reads every service's own database (plain SQL, read-only) and the queues, and says
 * whether orders, payments, stock, events and e-mails balance for the checkouts the suite placed. Each check
 * returns the list of what does not balance, so a failing assertion names the order and the step.
 */
import { Queue } from 'bullmq';
import pg from 'pg';
import { deadLetterQueueName, deadLetterQueueOf, JOB_QUEUES, STORE_SUBSCRIPTIONS } from '@storefront/events';
import { emailMessageId } from '../../../subgraphs/notifications/src/email-deliveries.ts';
import { DEFAULT_MAIL_FROM } from '../../../subgraphs/notifications/src/mail-transport.ts';
import type { FaultStack } from './fault-stack.ts';

type Row = Record<string, unknown>;

/** Job queues whose every job is one item's work (an invoice, an e-mail): a dead letter there is work not done. */
const PER_ITEM_JOB_QUEUES = ['jobs.invoices', 'jobs.email-deliveries', 'jobs.product-imports', 'jobs.sales-reports'];

export class Ledger {
  readonly #pools = new Map<string, pg.Pool>();
  readonly #stack: FaultStack;

  constructor(stack: FaultStack) {
    this.#stack = stack;
  }

  /** A query on a service's database, retried while the server is coming back (a restart leaves dead sockets). */
  async query<T extends Row = Row>(service: string, sql: string, params: unknown[] = []): Promise<T[]> {
    let pool = this.#pools.get(service);
    if (!pool) {
      const url = this.#stack.databases[service];
      if (!url) throw new Error(`no database for ${service}`);
      pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 2_000 });
      pool.on('error', () => undefined);
      this.#pools.set(service, pool);
    }
    let lastError: unknown;
    for (let attempt = 0; attempt < 20; attempt += 1) {
      try {
        return (await pool.query<T>(sql, params)).rows;
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    throw lastError;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((pool) => pool.end().catch(() => undefined)));
    this.#pools.clear();
  }

  /** Total on hand and reserved per product, summed over warehouses. */
  async stock(productIds: string[]): Promise<Map<string, { onHand: number; reserved: number; available: number }>> {
    const rows = await this.query<{ product_id: string; on_hand: string; reserved: string; available: string }>(
      'inventory',
      `SELECT product_id, sum(on_hand) AS on_hand, sum(reserved) AS reserved, sum(available) AS available
         FROM stock_levels WHERE product_id = ANY($1::uuid[]) GROUP BY product_id`,
      [productIds],
    );
    return new Map(rows.map((row) => [row.product_id, { onHand: Number(row.on_hand), reserved: Number(row.reserved), available: Number(row.available) }]));
  }

  /** Saga state per order. */
  async sagas(orderIds: string[]): Promise<Map<string, { state: string; finished: boolean }>> {
    const rows = await this.query<{ order_id: string; state: string; finished_at: Date | null }>(
      'orders',
      'SELECT order_id, state::text AS state, finished_at FROM order_sagas WHERE order_id = ANY($1::uuid[])',
      [orderIds],
    );
    return new Map(rows.map((row) => [row.order_id, { state: row.state, finished: row.finished_at !== null }]));
  }

  /** Resolves once every order's saga has finished (COMPLETED or COMPENSATED); the orders still going otherwise. */
  async settle(orderIds: string[], timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const sagas = await this.sagas(orderIds);
      const open = orderIds.filter((id) => !sagas.get(id)?.finished);
      if (open.length === 0 || Date.now() > deadline) return open.map((id) => `${id}: ${sagas.get(id)?.state ?? 'no saga'}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Resolves once every PAID order's e-mail was caught (or the deadline passed). */
  async settleMail(orderIds: string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const expected = await this.query<{ id: string }>(
        'notifications',
        `SELECT n.id FROM notifications n WHERE n.order_id = ANY($1::uuid[]) AND n.kind IN ('ORDER_PAID', 'ORDER_CANCELLED', 'PAYMENT_DECLINED')`,
        [orderIds],
      );
      const caught = new Set(this.#stack.mail.messages.map((message) => message.messageId));
      const paid = await this.query('orders', `SELECT id FROM orders WHERE id = ANY($1::uuid[]) AND status IN ('PAID', 'CANCELLED')`, [orderIds]);
      if (expected.length >= paid.length && expected.every((row) => caught.has(messageIdOf(row.id)))) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /**
   * Everything that does not balance for these checkouts (by idempotency key) and the stock they drew from.
   * `stockBefore` is the stock of the products before the first of them was placed.
   */
  async imbalances(keys: string[], stockBefore: Map<string, { onHand: number; reserved: number }>): Promise<string[]> {
    const problems: string[] = [];
    const orders = await this.query<{ id: string; idempotency_key: string; status: string; total_cents: number }>(
      'orders',
      'SELECT id, idempotency_key, status::text AS status, total_cents FROM orders WHERE idempotency_key = ANY($1)',
      [keys],
    );
    const perKey = new Map<string, number>();
    for (const order of orders) perKey.set(order.idempotency_key, (perKey.get(order.idempotency_key) ?? 0) + 1);
    for (const key of keys) if ((perKey.get(key) ?? 0) !== 1) problems.push(`checkout ${key}: ${perKey.get(key) ?? 0} orders (one expected)`);
    const ids = orders.map((order) => order.id);
    const paid = orders.filter((order) => order.status === 'PAID');
    const cancelled = orders.filter((order) => order.status === 'CANCELLED');
    for (const order of orders) if (order.status !== 'PAID' && order.status !== 'CANCELLED') problems.push(`order ${order.id}: ${order.status}, not settled`);

    // Payments: a paid order was charged its total exactly once; a cancelled one holds no money.
    const payments = await this.query<{ order_id: string; id: string; status: string; amount_cents: number }>(
      'payments',
      'SELECT order_id, id, status::text AS status, amount_cents FROM payments WHERE order_id = ANY($1::uuid[])',
      [ids],
    );
    const paymentOf = new Map(payments.map((payment) => [payment.order_id, payment]));
    const captures = await this.query<{ payment_id: string; n: string }>(
      'payments',
      `SELECT payment_id, count(*) AS n FROM provider_calls WHERE payment_id = ANY($1::uuid[]) AND operation = 'CAPTURE' AND outcome = 'SUCCEEDED' GROUP BY payment_id`,
      [payments.map((payment) => payment.id)],
    );
    const capturesOf = new Map(captures.map((row) => [row.payment_id, Number(row.n)]));
    for (const order of paid) {
      const payment = paymentOf.get(order.id);
      if (!payment) problems.push(`order ${order.id}: PAID without a payment`);
      else {
        if (payment.status !== 'CAPTURED') problems.push(`order ${order.id}: PAID, payment ${payment.status}`);
        if (payment.amount_cents !== order.total_cents) problems.push(`order ${order.id}: total ${order.total_cents}, payment ${payment.amount_cents}`);
        if ((capturesOf.get(payment.id) ?? 0) !== 1) problems.push(`order ${order.id}: captured ${capturesOf.get(payment.id) ?? 0} times at the provider`);
      }
    }
    for (const order of cancelled) {
      const payment = paymentOf.get(order.id);
      if (payment && !['DECLINED', 'VOIDED'].includes(payment.status)) problems.push(`order ${order.id}: CANCELLED, payment ${payment.status}`);
    }

    // Stock: what paid orders took left on_hand, nothing stays reserved, reservations ended as their orders did.
    const items = await this.query<{ order_id: string; purchasable_id: string; quantity: number }>(
      'orders',
      'SELECT order_id, purchasable_id, quantity FROM order_items WHERE order_id = ANY($1::uuid[])',
      [ids],
    );
    const taken = new Map<string, number>();
    const paidIds = new Set(paid.map((order) => order.id));
    for (const item of items) if (paidIds.has(item.order_id)) taken.set(item.purchasable_id, (taken.get(item.purchasable_id) ?? 0) + item.quantity);
    const after = await this.stock([...stockBefore.keys()]);
    for (const [product, before] of stockBefore) {
      const now = after.get(product);
      const expected = before.onHand - (taken.get(product) ?? 0);
      if (!now) problems.push(`product ${product}: no stock rows`);
      else {
        if (now.onHand !== expected) problems.push(`product ${product}: on hand ${now.onHand}, expected ${expected} (${before.onHand} − ${taken.get(product) ?? 0} sold)`);
        if (now.reserved !== before.reserved) problems.push(`product ${product}: reserved ${now.reserved}, was ${before.reserved}`);
        if (now.available !== now.onHand - now.reserved) problems.push(`product ${product}: available ${now.available} ≠ on hand − reserved`);
      }
    }
    const reservations = await this.query<{ order_id: string; status: string }>(
      'inventory',
      'SELECT order_id, status::text AS status FROM reservations WHERE order_id = ANY($1::uuid[])',
      [ids],
    );
    const reservationOf = new Map(reservations.map((row) => [row.order_id, row.status]));
    for (const order of paid) if (reservationOf.get(order.id) !== 'COMMITTED') problems.push(`order ${order.id}: PAID, reservation ${reservationOf.get(order.id) ?? 'missing'}`);
    for (const order of cancelled) {
      const status = reservationOf.get(order.id);
      if (status && status !== 'RELEASED' && status !== 'EXPIRED') problems.push(`order ${order.id}: CANCELLED, reservation ${status}`);
    }

    // Events: each step of each saga happened once, and the invoice was rendered once.
    const steps = await this.eventCounts(ids);
    for (const order of paid) {
      const counts = steps.get(order.id) ?? new Map<string, number>();
      for (const type of ['StockReservationRequested', 'StockReserved', 'PaymentAuthorizationRequested', 'PaymentAuthorized', 'StockCommitRequested', 'StockCommitted', 'PaymentCaptureRequested', 'PaymentCaptured']) {
        if (counts.get(type) !== 1) problems.push(`order ${order.id}: ${counts.get(type) ?? 0} × ${type}`);
      }
      const statuses = await this.query<{ to: string }>(
        'orders',
        `SELECT payload->>'to' AS to FROM outbox_events WHERE aggregate_id = $1 AND type = 'OrderStatusChanged' ORDER BY occurred_at`,
        [order.id],
      );
      const sequence = statuses.map((row) => row.to).join(',');
      if (sequence !== 'RESERVED,PAID') problems.push(`order ${order.id}: status events ${sequence || 'none'} (RESERVED,PAID expected)`);
    }
    const invoices = await this.query<{ order_id: string }>('orders', 'SELECT order_id FROM invoices WHERE order_id = ANY($1::uuid[])', [ids]);
    const invoiced = new Set(invoices.map((row) => row.order_id));
    for (const order of paid) if (!invoiced.has(order.id)) problems.push(`order ${order.id}: PAID without an invoice`);

    // E-mails: each paid or cancelled order told its customer exactly once, and the delivery says SENT.
    const notices = await this.query<{ id: string; order_id: string; kind: string; status: string | null }>(
      'notifications',
      `SELECT n.id, n.order_id, n.kind::text AS kind, d.status::text AS status FROM notifications n
         LEFT JOIN deliveries d ON d.notification_id = n.id AND d.channel = 'EMAIL'
        WHERE n.order_id = ANY($1::uuid[])`,
      [ids],
    );
    const mailCount = new Map<string, number>();
    for (const message of this.#stack.mail.messages) if (message.messageId) mailCount.set(message.messageId, (mailCount.get(message.messageId) ?? 0) + 1);
    for (const order of [...paid, ...cancelled]) {
      const kind = order.status === 'PAID' ? ['ORDER_PAID'] : ['ORDER_CANCELLED', 'PAYMENT_DECLINED'];
      const mine = notices.filter((notice) => notice.order_id === order.id && kind.includes(notice.kind));
      if (mine.length !== 1) {
        problems.push(`order ${order.id}: ${mine.length} ${kind.join('/')} notifications`);
        continue;
      }
      const notice = mine[0]!;
      if (notice.status !== 'SENT') problems.push(`order ${order.id}: e-mail delivery ${notice.status ?? 'missing'}`);
      const sent = mailCount.get(messageIdOf(notice.id)) ?? 0;
      if (sent !== 1) problems.push(`order ${order.id}: "${notice.kind}" e-mail received ${sent} times`);
    }
    return problems;
  }

  /** Outbox events per order (aggregate) and type, across orders, inventory and payments. */
  async eventCounts(orderIds: string[]): Promise<Map<string, Map<string, number>>> {
    const counts = new Map<string, Map<string, number>>();
    for (const service of ['orders', 'inventory', 'payments']) {
      const rows = await this.query<{ aggregate_id: string; type: string; n: string }>(
        service,
        'SELECT aggregate_id, type, count(*) AS n FROM outbox_events WHERE aggregate_id = ANY($1) GROUP BY aggregate_id, type',
        [orderIds],
      );
      for (const row of rows) {
        const perOrder = counts.get(row.aggregate_id) ?? new Map<string, number>();
        perOrder.set(row.type, (perOrder.get(row.type) ?? 0) + Number(row.n));
        counts.set(row.aggregate_id, perOrder);
      }
    }
    return counts;
  }

  /**
   * The plumbing, whole-stack: every outbox row of every service published, every published event applied once by
   * each consumer that subscribes to it, and nothing in any dead-letter queue.
   */
  async plumbingProblems(): Promise<string[]> {
    const problems: string[] = [];
    const consumerDatabase: Record<string, string> = {
      'orders-saga': 'orders',
      inventory: 'inventory',
      payments: 'payments',
      notifications: 'notifications',
      'catalog-ratings': 'catalog',
      'orders-documents': 'orders',
      reviews: 'reviews',
    };
    const published: Array<{ id: string; type: string }> = [];
    for (const service of Object.keys(this.#stack.databases)) {
      const tables = await this.query<{ n: string }>(service, `SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'outbox_events'`);
      if (Number(tables[0]?.n ?? 0) === 0) continue;
      const unpublished = await this.query<{ n: string }>(service, 'SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL');
      if (Number(unpublished[0]?.n) > 0) problems.push(`${service}: ${unpublished[0]?.n} outbox events not published`);
      published.push(...(await this.query<{ id: string; type: string }>(service, 'SELECT id::text AS id, type FROM outbox_events')));
    }
    for (const [consumer, types] of Object.entries(STORE_SUBSCRIPTIONS)) {
      const database = consumerDatabase[consumer];
      if (!database) {
        problems.push(`consumer ${consumer}: the ledger does not know its database`);
        continue;
      }
      const expected = published.filter((event) => (types as readonly string[]).includes(event.type)).map((event) => event.id);
      const applied = await this.query<{ event_id: string }>(database, 'SELECT event_id::text AS event_id FROM processed_events WHERE consumer = $1', [consumer]);
      const seen = new Set(applied.map((row) => row.event_id));
      const missing = expected.filter((id) => !seen.has(id));
      if (missing.length) problems.push(`consumer ${consumer}: ${missing.length} of ${expected.length} events never applied (e.g. ${missing.slice(0, 3).join(', ')})`);
    }
    for (const [name, letters] of await this.deadLetters([...Object.keys(STORE_SUBSCRIPTIONS).map(deadLetterQueueName), ...PER_ITEM_JOB_QUEUES.map(deadLetterQueueOf)])) {
      problems.push(`${name}: ${letters.length} dead letters (${letters.slice(0, 3).join('; ')})`);
    }
    return problems;
  }

  /** The dead letters waiting in these queues, by queue: job name and error message. */
  async deadLetters(names: string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    for (const name of names) {
      const queue = new Queue(name, { connection: { host: this.#stack.redis.host, port: this.#stack.redis.port, maxRetriesPerRequest: null }, prefix: this.#stack.queuePrefix });
      try {
        const jobs = await queue.getJobs(['waiting'], 0, 100);
        if (jobs.length) found.set(name, jobs.map((job) => `${job.name}: ${(job.data as { error?: { message?: string } }).error?.message ?? '?'}`));
      } finally {
        await queue.close();
      }
    }
    return found;
  }

  /** Dead letters of the scheduled sweeps: not work lost (the next run redoes it), but a person is asked to look. */
  async sweepDeadLetters(): Promise<Map<string, string[]>> {
    return this.deadLetters(JOB_QUEUES.filter((queue) => !PER_ITEM_JOB_QUEUES.includes(queue)).map(deadLetterQueueOf));
  }

  /** Message-IDs the catcher received more than once. */
  duplicateMail(): string[] {
    const seen = new Map<string, number>();
    for (const message of this.#stack.mail.messages) if (message.messageId) seen.set(message.messageId, (seen.get(message.messageId) ?? 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([id, n]) => `${id} × ${n}`);
  }
}

/** The Message-ID notifications gives a notification's e-mail (the stack leaves MAIL_FROM at its default). */
const messageIdOf = (notificationId: string): string => emailMessageId(notificationId, DEFAULT_MAIL_FROM);
