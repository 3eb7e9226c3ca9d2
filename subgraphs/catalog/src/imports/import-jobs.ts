import { QueueHandles, REQUEST_ENQUEUE_DEADLINE_MS, type QueueConnection } from '@storefront/events';
import { PRODUCT_IMPORT_JOB_OPTIONS, PRODUCT_IMPORT_QUEUE, type ProductImportJobData } from './product-imports.ts';

/**
 * The subgraph's producer side of jobs.product-imports, its queue opened on first use: Redis is only needed
 * once an admin starts an import, and a catalog without it still serves the store.
 */
export class ImportJobs {
  readonly #queues: QueueHandles;

  constructor(connection: QueueConnection) {
    this.#queues = new QueueHandles(connection);
  }

  /**
   * jobId = import id, so starting an import twice adds one job. Called by a mutation: throws
   * DeadlineExceededError after REQUEST_ENQUEUE_DEADLINE_MS.
   */
  async queueImport(importId: string): Promise<void> {
    const data: ProductImportJobData = { importId };
    await this.#queues.add(PRODUCT_IMPORT_QUEUE, 'product-import', data, { ...PRODUCT_IMPORT_JOB_OPTIONS, jobId: importId }, REQUEST_ENQUEUE_DEADLINE_MS);
  }

  close(): Promise<void> {
    return this.#queues.close();
  }
}
