/*
 * Fixtures of the dead-letter tools' tests (this subgraph and `npm run dlq`): a unique BullMQ prefix on the
 * local Redis, wiped afterwards, and dead letters recorded exactly as the workers record them.
 */
import { DeadLetterQueue, type QueueConnection } from '@storefront/events';
import { deleteQueueKeys, testQueueConnection } from '@storefront/events/testing';


export interface TestQueues {
  queues: QueueConnection;
  /** Records a dead letter for `queue` as a worker that gave up the job would. */
  deadLetter(queue: string, job: { id: string; name: string; data: unknown }, error?: Error, options?: { unrecoverable?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export function startTestQueues(label: string): TestQueues {
  const queues: QueueConnection & { prefix: string } = testQueueConnection(label);
  const recorders = new Map<string, DeadLetterQueue>();
  return {
    queues,
    async deadLetter(queue, job, error = new Error('handler failed'), options = {}) {
      let recorder = recorders.get(queue);
      if (!recorder) {
        recorder = new DeadLetterQueue(queue, queues);
        recorders.set(queue, recorder);
      }
      await recorder.record({ ...job, opts: { attempts: 3, backoff: { type: 'exponential', delay: 1000 } } }, error, options.unrecoverable ? 1 : 3, options.unrecoverable ?? false);
    },
    async close() {
      await Promise.all([...recorders.values()].map((recorder) => recorder.close()));
      await deleteQueueKeys(queues.prefix);
    },
  };
}
