import { QueueHandles, type QueueConnection } from '@storefront/events';
import { PRODUCT_IMPORT_JOB_OPTIONS, PRODUCT_IMPORT_QUEUE, type ProductImportJobData } from './product-imports.ts';

/**
 * How long startProductImport, a mutation, may wait for Redis to take the job: BullMQ waits for Redis
 * indefinitely (see QueueHandles), so the request would wait with it.
 */
export const ENQUEUE_DEADLINE_MS = 1_000;

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
   * jobId = import id, so starting an import twice adds one job. Throws DeadlineExceededError after
   * ENQUEUE_DEADLINE_MS, having dropped the queue handle; the job may still be added later (Redis thawing with
   * the command in its socket), which a second start's add de-duplicates.
   */
  async queueImport(importId: string): Promise<void> {
    const data: ProductImportJobData = { importId };
    await this.#queues.add(PRODUCT_IMPORT_QUEUE, 'product-import', data, { ...PRODUCT_IMPORT_JOB_OPTIONS, jobId: importId }, ENQUEUE_DEADLINE_MS);
  }

  close(): Promise<void> {
    return this.#queues.close();
  }
}
