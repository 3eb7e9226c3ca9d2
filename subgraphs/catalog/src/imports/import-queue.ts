import { type Queue } from 'bullmq';
import { openQueue, type QueueConnection } from '@storefront/events';
import { isAbandoned, PRODUCT_IMPORT_QUEUE } from './product-imports.ts';

/** The subgraph's producer side of jobs.product-imports: one Queue per process, opened on first use. */
export function lazyImportQueue(connection: () => QueueConnection): { get(): Queue; close(): Promise<void> } {
  let queue: Queue | undefined;
  return {
    get() {
      if (queue && isAbandoned(queue)) queue = undefined;
      queue ??= openQueue(PRODUCT_IMPORT_QUEUE, connection());
      return queue;
    },
    async close() {
      if (queue && !isAbandoned(queue)) await queue.close();
      queue = undefined;
    },
  };
}
