import { inflateSync } from 'node:zlib';
import { signUrl } from '@storefront/identity';
import { consumerQueueName, defineEvent, EVENT_JOB_OPTIONS } from '@storefront/events';
import { PDFDocument } from 'pdf-lib';
import { OrderStatus } from '../database.ts';
import { transitionOrder } from '../order-status.ts';
import { admin, customer, errorCodes, seededOrders } from '../test-fixtures.ts';
import { invoicePublicPath } from './files.ts';
import { invoiceJobId, INVOICE_QUEUE } from './jobs.ts';
import { startDocumentsEnvironment, TEST_SIGNING, waitFor, type DocumentsTestEnvironment } from './test-support.ts';
import { DOCUMENTS_CONSUMER } from './workers.ts';

let env: DocumentsTestEnvironment;
beforeAll(async () => {
  env = await startDocumentsEnvironment();
});
afterAll(async () => {
  await env?.close();
});

type SeededOrder = (typeof seededOrders)[number];

/** Seeded orders not paid yet (each test that pays one takes its own), and cancelled ones (never invoiced). */
const unpaid = seededOrders.filter((order) => order.status === 'PENDING' || order.status === 'RESERVED');
const cancelled = seededOrders.filter((order) => order.status === 'CANCELLED');
function take(from: SeededOrder[], what: string): SeededOrder {
  const order = from.shift();
  if (!order) throw new Error(`The test plan has too few ${what} orders`);
  return order;
}
const takeUnpaidOrder = () => take(unpaid, 'unpaid');
const takeCancelledOrder = () => take(cancelled, 'cancelled');

/** What the checkout saga does: PENDING → RESERVED → PAID. */
async function pay(order: SeededOrder): Promise<void> {
  if (order.status === 'PENDING') {
    expect(await transitionOrder(env.prisma, order.id, { from: OrderStatus.PENDING, to: OrderStatus.RESERVED })).toMatchObject({ ok: true });
  }
  expect(await transitionOrder(env.prisma, order.id, { from: OrderStatus.RESERVED, to: OrderStatus.PAID })).toMatchObject({ ok: true });
}

function paidEvent(order: { id: string; userId: string }) {
  return defineEvent({
    type: 'OrderStatusChanged',
    version: 1,
    source: 'orders',
    aggregateId: order.id,
    correlationId: null,
    payload: { orderId: order.id, userId: order.userId, from: 'RESERVED', to: 'PAID', reason: null },
  });
}

/** The text a PDF shows: pdf-lib writes each string as hex in a Flate-compressed content stream. */
function pdfText(bytes: Uint8Array): string {
  const raw = Buffer.from(bytes).toString('latin1');
  const texts: string[] = [];
  for (const match of raw.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
    let content: string;
    try {
      content = inflateSync(Buffer.from(match[1]!, 'latin1')).toString('latin1');
    } catch {
      continue; // not a Flate stream (fonts are not embedded, but be tolerant)
    }
    for (const [, hex] of content.matchAll(/<([0-9A-Fa-f]*)>\s*Tj/g)) texts.push(Buffer.from(hex!, 'hex').toString('latin1'));
  }
  return texts.join('\n');
}

async function invoiceRow(orderId: string) {
  return env.prisma.invoice.findUnique({ where: { orderId } });
}

describe('invoice of a paid order', () => {
  it('is rendered once for an OrderStatusChanged to PAID delivered twice, as a PDF naming its number and lines', async () => {
    const order = takeUnpaidOrder();
    await pay(order);
    const events = env.queue(consumerQueueName(DOCUMENTS_CONSUMER));
    const event = paidEvent(order);
    await events.add(event.type, event, { ...EVENT_JOB_OPTIONS, jobId: event.id });
    // A relay's republish after its completed job was removed: a second job with the same event.
    await events.add(event.type, event, { ...EVENT_JOB_OPTIONS, jobId: `${event.id}-redelivered` });
    await waitFor(async () => (await events.getJob(`${event.id}-redelivered`))?.returnvalue === 'duplicate', 'the redelivered event');
    const invoices = env.queue(INVOICE_QUEUE);
    await waitFor(async () => (await invoices.getJob(invoiceJobId(order.id)))?.finishedOn !== undefined, 'the invoice job');

    expect(await invoices.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed')).toEqual({ completed: 1, failed: 0, waiting: 0, active: 0, delayed: 0 });
    expect(await env.prisma.invoice.count({ where: { orderId: order.id } })).toBe(1);
    const invoice = (await invoiceRow(order.id))!;
    expect(invoice.number).toBe(`INV-${order.number.slice(3)}`);
    const pdf = Buffer.from(invoice.pdf);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect((await PDFDocument.load(invoice.pdf)).getTitle()).toBe(`Invoice ${invoice.number}`);
    const text = pdfText(invoice.pdf);
    expect(text).toContain(`Invoice number: ${invoice.number}`);
    expect(text).toContain(`Order: ${order.number}`);
    expect(text).toContain(`Buyer: ${order.userId}`);
    for (const item of order.items) expect(text).toContain(item.purchasableId);
    expect(text).toContain(`Total: ${(order.totalCents / 100).toFixed(2)} EUR`);
  });

  it('keeps the one invoice when its job runs again', async () => {
    const order = takeUnpaidOrder();
    await pay(order);
    const invoices = env.queue(INVOICE_QUEUE);
    await invoices.add('invoice', { orderId: order.id }, { jobId: invoiceJobId(order.id) });
    await waitFor(async () => (await invoices.getJob(invoiceJobId(order.id)))?.finishedOn !== undefined, 'the first run');
    const first = (await invoiceRow(order.id))!;
    // As after the completed job left BullMQ's retention: a new job for the same order.
    await invoices.add('invoice', { orderId: order.id }, { jobId: `${invoiceJobId(order.id)}-again` });
    await waitFor(async () => (await invoices.getJob(`${invoiceJobId(order.id)}-again`))?.finishedOn !== undefined, 'the second run');
    expect((await invoices.getJob(`${invoiceJobId(order.id)}-again`))!.returnvalue).toEqual({ number: first.number, created: false });
    expect(await invoiceRow(order.id)).toEqual(first);
  });

  it('is refused at once for an unpaid or unknown order: the job is dead-lettered without retries', async () => {
    const notPaid = takeUnpaidOrder();
    const unknown = '00000000-0000-4000-8000-000000000000';
    const invoices = env.queue(INVOICE_QUEUE);
    for (const orderId of [notPaid.id, unknown]) await invoices.add('invoice', { orderId }, { attempts: 5, jobId: invoiceJobId(orderId) });
    const deadLetters = env.workers.jobs.find((job) => job.worker.name === INVOICE_QUEUE)!.deadLetters;
    await waitFor(async () => (await deadLetters.count()) === 2, 'two dead letters');
    // The dead letter is written inside the processor, just before BullMQ moves the job to failed.
    for (const orderId of [notPaid.id, unknown]) {
      await waitFor(async () => (await invoices.getJob(invoiceJobId(orderId)))?.failedReason !== undefined, 'the job marked failed');
    }
    for (const orderId of [notPaid.id, unknown]) {
      const job = (await invoices.getJob(invoiceJobId(orderId)))!;
      expect(job.attemptsMade).toBe(1);
      expect(await job.isFailed()).toBe(true);
      expect(await invoiceRow(orderId)).toBeNull();
    }
    expect((await deadLetters.get(invoiceJobId(notPaid.id)))!.error.message).toMatch(/only paid orders/);
  });
});

const INVOICE_QUERY = 'query ($id: ID!) { order(id: $id) { id invoice { number issuedAt url } } }';
type InvoiceField = { number: string; issuedAt: string; url: string } | null;

describe('Order.invoice and its download', () => {
  let order: SeededOrder;
  let url: string;
  beforeAll(async () => {
    order = takeUnpaidOrder();
    await pay(order);
    await env.queue(INVOICE_QUEUE).add('invoice', { orderId: order.id }, { jobId: invoiceJobId(order.id) });
    await waitFor(async () => (await invoiceRow(order.id)) !== null, 'the invoice');
    const { body } = await env.orders.query<{ order: { invoice: InvoiceField } }>(INVOICE_QUERY, { id: order.id }, customer(order.userIndex));
    expect(body.errors).toBeUndefined();
    url = body.data!.order.invoice!.url;
  });

  it('shows the owner the number, issue time and a signed URL on the public origin', async () => {
    const { body } = await env.orders.query<{ order: { invoice: InvoiceField } }>(INVOICE_QUERY, { id: order.id }, customer(order.userIndex));
    const invoice = body.data!.order.invoice!;
    const stored = (await invoiceRow(order.id))!;
    expect(invoice).toEqual({ number: stored.number, issuedAt: stored.createdAt.toISOString(), url: expect.any(String) });
    const signed = new URL(invoice.url);
    expect(`${signed.origin}${signed.pathname}`).toBe(`${TEST_SIGNING.publicUrl}${invoicePublicPath(order.id)}`);
    const expires = Number(signed.searchParams.get('expires')) * 1000;
    expect(expires).toBeGreaterThan(Date.now() + 9 * 60_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 10 * 60_000);
  });

  it('shows admins the invoice, and null for an order without one', async () => {
    const { body } = await env.orders.query<{ order: { invoice: InvoiceField } }>(INVOICE_QUERY, { id: order.id }, admin);
    expect(body.data!.order.invoice!.number).toMatch(/^INV-\d{7}$/);
    const other = takeCancelledOrder();
    const none = await env.orders.query<{ order: { invoice: InvoiceField } }>(INVOICE_QUERY, { id: other.id }, customer(other.userIndex));
    expect(none.body.data!.order).toEqual({ id: other.id, invoice: null });
  });

  it('hides the invoice from another customer', async () => {
    const stranger = customer(order.userIndex === 1 ? 2 : 1);
    const { body } = await env.orders.query(INVOICE_QUERY, { id: order.id }, stranger);
    expect(body.data?.order ?? null).toBeNull();
    expect(errorCodes({ status: 200, body })).toEqual(['FORBIDDEN']);
    // Through the entity path too (how the router reaches Order from payments or notifications).
    const entities = await env.orders.query(
      'query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Order { invoice { url } } } }',
      { reps: [{ __typename: 'Order', id: order.id }] },
      stranger,
    );
    expect(JSON.stringify(entities.body.data ?? {})).not.toContain('/files/');
    expect(errorCodes({ status: 200, body: entities.body })).toEqual(['FORBIDDEN']);
  });

  it('downloads the PDF through the orders host with the signed URL', async () => {
    const response = await fetch(env.hostUrl(url));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    const stored = (await invoiceRow(order.id))!;
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${stored.number}.pdf"`);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(stored.pdf))).toBe(true);
  });

  it('refuses a tampered, reused-for-another-file, unsigned or expired URL with 403, and answers 404 for no invoice', async () => {
    const forbidden = async (target: string) => {
      const response = await fetch(target);
      expect({ status: response.status, type: response.headers.get('content-type') }).toEqual({ status: 403, type: 'application/json; charset=utf-8' });
      return ((await response.json()) as { errors: Array<{ message: string; extensions: { code: string } }> }).errors[0]!;
    };
    const signed = new URL(env.hostUrl(url));
    const tampered = new URL(signed);
    const signature = tampered.searchParams.get('signature')!;
    tampered.searchParams.set('signature', `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`);
    expect((await forbidden(tampered.toString())).extensions.code).toBe('FORBIDDEN');

    const later = new URL(signed);
    later.searchParams.set('expires', String(Number(later.searchParams.get('expires')) + 3600));
    await forbidden(later.toString());

    const other = takeCancelledOrder();
    const otherFile = new URL(signed);
    otherFile.pathname = `/files/invoices/${other.id}.pdf`;
    await forbidden(otherFile.toString());

    await forbidden(`${signed.origin}${signed.pathname}`);

    const expired = signUrl(TEST_SIGNING.secret, TEST_SIGNING.publicUrl, { method: 'GET', path: invoicePublicPath(order.id), expiresAt: new Date(Date.now() - 1_000) });
    expect((await forbidden(env.hostUrl(expired))).message).toMatch(/expired/);

    const wrongSecret = signUrl('another-secret-0123456789abcdefghijkl', TEST_SIGNING.publicUrl, {
      method: 'GET',
      path: invoicePublicPath(order.id),
      expiresAt: new Date(Date.now() + 60_000),
    });
    await forbidden(env.hostUrl(wrongSecret));

    const noInvoice = signUrl(TEST_SIGNING.secret, TEST_SIGNING.publicUrl, { method: 'GET', path: invoicePublicPath(other.id), expiresAt: new Date(Date.now() + 60_000) });
    const missing = await fetch(env.hostUrl(noInvoice));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('NOT_FOUND');

    const post = await fetch(env.hostUrl(url), { method: 'POST' });
    expect(post.status).toBe(405);
  });
});
