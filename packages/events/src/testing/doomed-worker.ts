/*
 * A consumer process for the "worker killed mid-job" test: it takes one job, records its effect inside the
 * job's transaction, says so on stdout, and then hangs with the transaction open until the test SIGKILLs it.
 * Env: DATABASE_URL, QUEUE_PREFIX, CONSUMER.
 */
import { openDatabase } from '@storefront/prisma-tools';
import { PrismaClient } from '../generated/prisma/client.ts';
import { createEventConsumer } from '../event-consumer.ts';
import { testQueueTarget } from './index.ts';

const { DATABASE_URL, QUEUE_PREFIX, CONSUMER } = process.env;
if (!DATABASE_URL || !QUEUE_PREFIX || !CONSUMER) throw new Error('DATABASE_URL, QUEUE_PREFIX and CONSUMER are required');
const database = await openDatabase({ target: { kind: 'postgres', url: DATABASE_URL }, migrationsDir: '', migrate: false, poolSize: 2 });
const prisma = new PrismaClient({ adapter: database.adapter });
createEventConsumer({
  consumer: CONSUMER,
  db: prisma,
  queues: { ...testQueueTarget(), prefix: QUEUE_PREFIX },
  // Short locks so the test's own worker finds the job stalled soon after this process dies.
  workerOptions: { lockDuration: 1_000, stalledInterval: 500 },
  handlers: {
    OrderPlaced: async (event, tx) => {
      await tx.$executeRaw`INSERT INTO effects (consumer, event_id) VALUES (${CONSUMER}, ${event.id}::uuid)`;
      process.stdout.write('in-handler\n');
      await new Promise(() => {}); // never finishes: the process is killed here
    },
  },
});
process.stdout.write('ready\n');
