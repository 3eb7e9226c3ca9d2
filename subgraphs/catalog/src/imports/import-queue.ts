import { Queue } from 'bullmq';
import { queueTelemetry, type QueueConnection } from '@storefront/events';
import { PRODUCT_IMPORT_QUEUE } from './product-imports.ts';

/** The subgraph's producer side of jobs.product-imports: one Queue per process, opened on first use. */
export function lazyImportQueue(connection: () => QueueConnection): { get(): Queue; close(): Promise<void> } {
  let queue: Queue | undefined;
  return {
    get() {
      if (!queue) {
        const { connection: redis, prefix } = connection();
        queue = new Queue(PRODUCT_IMPORT_QUEUE, { connection: redis, ...(prefix ? { prefix } : {}), ...queueTelemetry() });
      }
      return queue;
    },
    async close() {
      await queue?.close();
      queue = undefined;
    },
  };
}
