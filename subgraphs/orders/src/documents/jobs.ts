import { z } from 'zod';
import { heavyJobOptions, QueueHandles, REQUEST_ENQUEUE_DEADLINE_MS, type QueueConnection } from '@storefront/events';

/*
 * The orders service's heavy jobs and how they are added. Producers are the orders-documents consumer
 * (invoices, when an order is paid) and the requestSalesReport mutation (sales reports); the processors are
 * in invoices.ts and sales-reports.ts, hosted by workers.ts.
 */

export const INVOICE_QUEUE = 'jobs.invoices';
export const SALES_REPORT_QUEUE = 'jobs.sales-reports';

/** Payloads are checked when added and again when run: a job outlives the code version that added it. */
export const invoiceJobData = z.object({ orderId: z.uuid() });
export type InvoiceJobData = z.infer<typeof invoiceJobData>;
export const salesReportJobData = z.object({ reportId: z.uuid() });
export type SalesReportJobData = z.infer<typeof salesReportJobData>;

/**
 * Five attempts, 2 s, 4 s, 8 s, 16 s apart: a restarting database heals without a person; UnrecoverableError
 * (unknown or unpaid order, unknown report) skips them. Past BullMQ's retention the processors' own
 * idempotency holds (one invoice per order, READY reports skipped).
 */
export const DOCUMENT_JOB_OPTIONS = heavyJobOptions({ attempts: 5, backoffMs: 2_000 });

/** BullMQ refuses ':' in custom job ids; order ids are UUIDs, so `invoice-<uuid>` is safe and unique. */
export const invoiceJobId = (orderId: string) => `invoice-${orderId}`;

/** Adds document jobs, each queue opened on first use (a process that never adds a report never connects for it). */
export class DocumentJobs {
  readonly #queues: QueueHandles;

  constructor(connection: QueueConnection) {
    this.#queues = new QueueHandles(connection);
  }

  /** Idempotent: the jobId de-duplicates a second request for the same order. */
  async requestInvoice(orderId: string): Promise<void> {
    const data: InvoiceJobData = invoiceJobData.parse({ orderId });
    await this.#queues.add(INVOICE_QUEUE, 'invoice', data, { ...DOCUMENT_JOB_OPTIONS, jobId: invoiceJobId(orderId) });
  }

  /**
   * Called by a mutation: throws DeadlineExceededError after REQUEST_ENQUEUE_DEADLINE_MS. A job added later all
   * the same is harmless: the processor builds any report that is not READY. (The orders-documents consumer's
   * invoice adds wait QueueHandles' background deadline; an expired one fails the event, which is retried.)
   */
  async requestSalesReport(reportId: string): Promise<void> {
    const data: SalesReportJobData = salesReportJobData.parse({ reportId });
    await this.#queues.add(SALES_REPORT_QUEUE, 'sales-report', data, { ...DOCUMENT_JOB_OPTIONS, jobId: reportId }, REQUEST_ENQUEUE_DEADLINE_MS);
  }

  close(): Promise<void> {
    return this.#queues.close();
  }
}
