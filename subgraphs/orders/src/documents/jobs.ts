import { type Queue } from 'bullmq';
import { z } from 'zod';
import { heavyJobOptions, openQueue, type QueueConnection } from '@storefront/events';

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

/**
 * Adds document jobs. Each queue is opened on first use (a process that never adds a report never connects
 * for it) and closed by close().
 */
export class DocumentJobs {
  readonly #connection: QueueConnection;
  readonly #queues = new Map<string, Queue>();

  constructor(connection: QueueConnection) {
    this.#connection = connection;
  }

  /** Idempotent: the jobId de-duplicates a second request for the same order. */
  async requestInvoice(orderId: string): Promise<void> {
    const data: InvoiceJobData = invoiceJobData.parse({ orderId });
    await this.#queue(INVOICE_QUEUE).add('invoice', data, { ...DOCUMENT_JOB_OPTIONS, jobId: invoiceJobId(orderId) });
  }

  async requestSalesReport(reportId: string): Promise<void> {
    const data: SalesReportJobData = salesReportJobData.parse({ reportId });
    await this.#queue(SALES_REPORT_QUEUE).add('sales-report', data, { ...DOCUMENT_JOB_OPTIONS, jobId: reportId });
  }

  #queue(name: string): Queue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = openQueue(name, this.#connection);
      this.#queues.set(name, queue);
    }
    return queue;
  }

  async close(): Promise<void> {
    const queues = [...this.#queues.values()];
    this.#queues.clear();
    await Promise.all(queues.map((queue) => queue.close()));
  }
}
