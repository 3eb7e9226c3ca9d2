import { type Queue } from 'bullmq';
import { z } from 'zod';
import { DeadlineExceededError, withDeadline } from '@storefront/http-host';
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
 * How long requestSalesReport, a mutation, may wait for Redis to take the job. BullMQ waits for Redis
 * indefinitely (it queues commands while disconnected, and a frozen server never answers), so the request
 * would wait with it.
 */
export const ENQUEUE_DEADLINE_MS = 1_000;

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

  /**
   * Throws DeadlineExceededError after ENQUEUE_DEADLINE_MS. The job may still be added later (Redis thawing
   * with the command in its socket), which is harmless: the processor builds any report that is not READY.
   */
  async requestSalesReport(reportId: string): Promise<void> {
    const data: SalesReportJobData = salesReportJobData.parse({ reportId });
    const queue = this.#queue(SALES_REPORT_QUEUE);
    try {
      await withDeadline(queue.add('sales-report', data, { ...DOCUMENT_JOB_OPTIONS, jobId: reportId }), ENQUEUE_DEADLINE_MS, `queue ${SALES_REPORT_QUEUE}`);
    } catch (error) {
      if (error instanceof DeadlineExceededError) this.#drop(SALES_REPORT_QUEUE, queue);
      throw error;
    }
  }

  /**
   * Forgets a queue whose Redis did not answer: disconnecting rejects what its connection still holds back
   * (commands queued while it was down would otherwise run whenever Redis returns), and the next add opens a
   * fresh connection.
   */
  #drop(name: string, queue: Queue): void {
    if (this.#queues.get(name) === queue) this.#queues.delete(name);
    // disconnect() ends a connection that was ready (close() would send QUIT and wait for the answer); close()
    // ends one still connecting (disconnect() would wait for it to be ready). Neither is awaited.
    void queue.disconnect().catch(() => undefined);
    void queue.close().catch(() => undefined);
  }

  #queue(name: string): Queue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = openQueue(name, this.#connection);
      this.#queues.set(name, queue);
    }
    return queue;
  }

  /** Closes every queue; one whose Redis does not answer QUIT in time is disconnected instead of holding shutdown. */
  async close(): Promise<void> {
    const queues = [...this.#queues.entries()];
    await Promise.all(
      queues.map(([name, queue]) =>
        withDeadline(queue.close(), ENQUEUE_DEADLINE_MS, `closing ${name}`).catch(() => {
          this.#drop(name, queue);
        }),
      ),
    );
    this.#queues.clear();
  }
}
