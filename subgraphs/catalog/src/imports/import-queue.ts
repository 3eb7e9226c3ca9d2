import { type Queue } from 'bullmq';
import { openQueue, type QueueConnection } from '@storefront/events';
import { withDeadline } from '@storefront/http-host';
import { abandonQueue, ENQUEUE_DEADLINE_MS, isAbandoned, PRODUCT_IMPORT_QUEUE } from './product-imports.ts';

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
      const open = queue && !isAbandoned(queue) ? queue : undefined;
      queue = undefined;
      // A Redis that does not answer QUIT in time must not hold the shutdown.
      if (open) await withDeadline(open.close(), ENQUEUE_DEADLINE_MS, 'closing the import queue').catch(() => abandonQueue(open));
    },
  };
}
