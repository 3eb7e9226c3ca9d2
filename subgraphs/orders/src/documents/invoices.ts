import { UnrecoverableError, type Job } from 'bullmq';
import DataLoader from 'dataloader';
import { OrderStatus, type PrismaClient } from '../database.ts';
import { orderNumber } from '../orders.ts';
import { renderInvoicePdf } from './invoice-pdf.ts';
import { invoiceJobData } from './jobs.ts';

/** Orders that have been paid: PAID, and FULFILLED (shipped after payment). */
const INVOICEABLE: readonly OrderStatus[] = [OrderStatus.PAID, OrderStatus.FULFILLED];

/** An invoice without its PDF bytes: what GraphQL shows. */
export interface InvoiceSummary {
  orderId: string;
  number: string;
  createdAt: Date;
}

/** INV- and the order's sequence number: one invoice per order, the same number whichever run renders it. */
export function invoiceNumber(orderSeq: bigint): string {
  return `INV-${orderSeq.toString().padStart(7, '0')}`;
}

export type InvoiceOutcome = { number: string; created: boolean };

/**
 * Renders and stores the invoice of a paid order, once: an order that already has one is left alone, and of
 * two runs racing (a job handed to a second worker after the first died) the primary key keeps the first
 * insert; the second's ON CONFLICT DO NOTHING writes nothing.
 */
export async function generateInvoice(prisma: PrismaClient, orderId: string, now: Date = new Date()): Promise<InvoiceOutcome> {
  const existing = await prisma.invoice.findUnique({ where: { orderId }, select: { number: true } });
  if (existing) return { number: existing.number, created: false };
  const order = await prisma.order.findUnique({ where: { id: orderId }, include: { items: { orderBy: { position: 'asc' } } } });
  if (!order) throw new UnrecoverableError(`No order ${orderId}`);
  if (!INVOICEABLE.includes(order.status)) throw new UnrecoverableError(`Order ${orderId} is ${order.status}: only paid orders get an invoice`);
  const number = invoiceNumber(order.seq);
  const pdf = await renderInvoicePdf({
    number,
    issuedAt: now,
    orderNumber: orderNumber(order.seq),
    placedAt: order.placedAt,
    buyerId: order.userId,
    shipTo: [order.shipName, order.shipLine1, order.shipLine2, `${order.shipPostalCode} ${order.shipCity}`, order.shipCountry].filter(
      (line): line is string => Boolean(line),
    ),
    currency: order.currency,
    lines: order.items.map((item) => ({ description: item.purchasableId, quantity: item.quantity, unitPriceCents: item.unitPriceCents })),
    totalCents: order.totalCents,
  });
  // Prisma's Bytes wants an ArrayBuffer-backed array; pdf-lib's may be typed over a SharedArrayBuffer.
  const bytes = new Uint8Array(pdf);
  const { count } = await prisma.invoice.createMany({ data: [{ orderId, number, pdf: bytes, createdAt: now }], skipDuplicates: true });
  return { number, created: count === 1 };
}

/** The jobs.invoices processor. */
export function invoiceProcessor(prisma: PrismaClient) {
  return async (job: Job): Promise<InvoiceOutcome> => {
    const parsed = invoiceJobData.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`Invalid invoice job data: ${parsed.error.message}`);
    return generateInvoice(prisma, parsed.data.orderId);
  };
}

/** Invoices (without their PDFs) for the orders a request shows, in one query. */
export function invoiceLoader(prisma: PrismaClient): DataLoader<string, InvoiceSummary | null> {
  return new DataLoader(async (orderIds) => {
    const rows = await prisma.invoice.findMany({
      where: { orderId: { in: [...orderIds] } },
      select: { orderId: true, number: true, createdAt: true },
    });
    const byOrder = new Map(rows.map((row) => [row.orderId, row]));
    return orderIds.map((id) => byOrder.get(id) ?? null);
  });
}
