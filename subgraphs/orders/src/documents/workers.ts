import { createEventConsumer, defineJob, type ConsumerSpec, type JobSpec, type WorkerRuntime } from '@storefront/events';
import type { PrismaClient } from '../database.ts';
import { invoiceProcessor } from './invoices.ts';
import { DocumentJobs, INVOICE_QUEUE, SALES_REPORT_QUEUE } from './jobs.ts';
import { salesReportProcessor } from './sales-reports.ts';

/** The consumer (queue events.orders-documents) that turns paid orders into invoice jobs. */
export const DOCUMENTS_CONSUMER = 'orders-documents';

/**
 * Asks for an invoice when an order is paid. The effect is a job, outside the database: adding it before the
 * processed_events row commits means a failed add retries the event, and jobId = invoice-<orderId> makes a
 * second add (a redelivered event) a no-op.
 */
function invoiceRequests(prisma: PrismaClient): ConsumerSpec {
  return {
    consumer: DOCUMENTS_CONSUMER,
    start(queues, logger) {
      const jobs = new DocumentJobs(queues);
      const consumer = createEventConsumer({
        consumer: DOCUMENTS_CONSUMER,
        db: prisma,
        queues,
        logger,
        // Every status change of every order passes here, each a short transaction: one at a time fell behind
        // a steady second's checkout on a loaded machine (bench:soak), as the saga's consumer would.
        concurrency: 8,
        handlers: {
          async OrderStatusChanged(event) {
            if (event.payload.to === 'PAID') await jobs.requestInvoice(event.payload.orderId);
          },
        },
      });
      return {
        worker: consumer.worker,
        deadLetters: consumer.deadLetters,
        async close() {
          await consumer.close();
          await jobs.close();
        },
      };
    },
  };
}

/** Orders' document work, merged by orders' createWorkers (src/workers.ts). */
export interface DocumentWorkersOptions {
  /** Orders read per query by the sales report job (tests make it small to cross batch boundaries). */
  reportBatchSize?: number;
}

export function documentWorkers(runtime: WorkerRuntime<PrismaClient>, options: DocumentWorkersOptions = {}): { consumers: ConsumerSpec[]; jobs: JobSpec[] } {
  return {
    consumers: [invoiceRequests(runtime.prisma)],
    jobs: [
      defineJob({ queue: INVOICE_QUEUE, processor: invoiceProcessor(runtime.prisma), concurrency: 2 }),
      // One report at a time per worker: each reads many orders, and admins ask for few.
      defineJob({ queue: SALES_REPORT_QUEUE, processor: salesReportProcessor(runtime.prisma, options.reportBatchSize), concurrency: 1 }),
    ],
  };
}
