import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type Job, type Queue } from 'bullmq';
import { openQueue } from './job-options.ts';
import { createEventConsumer, OutboxRelay, writeToOutbox, type DomainEvent, type EventConsumer, type EventHandlers, EVENT_JOB_OPTIONS, type SqlExecutor } from './index.ts';
import { consumerQueueName } from './routing.ts';
import { type EventsTestEnvironment, orderPlaced, startEventsTestEnvironment } from './test-support.ts';
import { waitFor } from '@storefront/testing';

let env: EventsTestEnvironment;
const queues: Queue[] = [];
const consumers: EventConsumer[] = [];

beforeAll(async () => {
  env = await startEventsTestEnvironment('consumer');
});
afterAll(async () => {
  await Promise.all(consumers.map((consumer) => consumer.close()));
  for (const queue of queues) await queue.obliterate({ force: true });
  await Promise.all(queues.map((queue) => queue.close()));
  await env?.close();
});

/** Fast retries so a test sees several attempts in well under a second. */
const FAST_RETRIES = { ...EVENT_JOB_OPTIONS, backoff: { type: 'exponential', delay: 20 } } as const;

function queueOf(consumer: string): Queue {
  const queue = openQueue(consumerQueueName(consumer), env.queues);
  queues.push(queue);
  return queue;
}

function start(consumer: string, handlers: EventHandlers<SqlExecutor>, concurrency = 1): EventConsumer {
  const started = createEventConsumer({ consumer, db: env.prisma, queues: env.queues, handlers, concurrency });
  consumers.push(started);
  return started;
}

/** The effect every test handler has: one row per application, so a repeated effect is visible. */
async function recordEffect(tx: SqlExecutor, consumer: string, event: DomainEvent): Promise<void> {
  await tx.$executeRaw`INSERT INTO effects (consumer, event_id) VALUES (${consumer}, ${event.id}::uuid)`;
}

async function effects(consumer: string): Promise<number> {
  const [row] = await env.prisma.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM effects WHERE consumer = ${consumer}`;
  return row!.n;
}

async function stateOf(queue: Queue, id: string): Promise<string> {
  return (await queue.getJobState(id)) as string;
}

describe('createEventConsumer', () => {
  it('applies an event delivered twice (one after the other, and concurrently) once', async () => {
    const consumer = 'twice';
    const queue = queueOf(consumer);
    let calls = 0;
    const completed: string[] = [];
    const started = start(consumer, { OrderPlaced: async (event, tx) => { calls += 1; await recordEffect(tx, consumer, event); } }, 4);
    started.worker.on('completed', (job: Job) => completed.push(String(job.id)));
    const event = orderPlaced();
    // A redelivery after BullMQ forgot the first job (retention) arrives under another job id.
    await queue.add(event.type, event, { jobId: event.id });
    await waitFor(() => completed.length === 1, 'first delivery', 10_000);
    await queue.add(event.type, event, { jobId: `${event.id}-redelivered` });
    await waitFor(() => completed.length === 2, 'second delivery', 10_000);
    // Two deliveries in flight at once: the second blocks on processed_events' key, then skips.
    const concurrent = orderPlaced();
    await queue.addBulk([1, 2, 3].map((n) => ({ name: concurrent.type, data: concurrent, opts: { jobId: `${concurrent.id}-${n}` } })));
    await waitFor(() => completed.length === 5, 'concurrent deliveries', 10_000);
    expect(await effects(consumer)).toBe(2);
    expect(calls).toBe(2);
    expect((await queue.getJob(`${event.id}-redelivered`))!.returnvalue).toBe('duplicate');
  });

  it('retries a failing handler with backoff, rolling back each failed attempt, and applies it once', async () => {
    const consumer = 'flaky';
    const queue = queueOf(consumer);
    let calls = 0;
    start(consumer, {
      OrderPlaced: async (event, tx) => {
        calls += 1;
        await recordEffect(tx, consumer, event); // written, then rolled back by the failures below
        if (calls <= 2) throw new Error(`transient failure ${calls}`);
      },
    });
    const event = orderPlaced();
    await queue.add(event.type, event, { ...FAST_RETRIES, jobId: event.id });
    await waitFor(async () => (await stateOf(queue, event.id)) === 'completed', 'completion after retries', 15_000);
    const job = (await queue.getJob(event.id))!;
    expect(job.attemptsMade).toBe(3);
    expect(calls).toBe(3);
    expect(await effects(consumer)).toBe(1);
  });

  it('fails an invalid event at once as unrecoverable, dead-letters it with its error, and requeues it', async () => {
    const consumer = 'invalid';
    const queue = queueOf(consumer);
    start(consumer, { OrderPlaced: (event, tx) => recordEffect(tx, consumer, event) });
    const valid = orderPlaced();
    const invalid = { ...valid, payload: { ...valid.payload, items: [{ ...valid.payload.items[0], quantity: 0 }] } };
    await queue.add(valid.type, invalid, { ...FAST_RETRIES, jobId: valid.id });
    const deadLetters = consumers.at(-1)!.deadLetters;
    await waitFor(async () => (await deadLetters.count()) === 1, 'dead letter', 10_000);
    await waitFor(async () => (await stateOf(queue, valid.id)) === 'failed', 'failed job', 10_000);
    expect((await queue.getJob(valid.id))!.attemptsMade).toBe(1); // 5 attempts allowed, none retried

    const [letter] = await deadLetters.list();
    expect(letter).toMatchObject({ id: valid.id, queue: `events.${consumer}`, jobName: 'OrderPlaced', event: invalid, attemptsMade: 1, unrecoverable: true });
    expect(letter!.error.name).toBe('EventContractError'); // an UnrecoverableError
    expect(letter!.error.message).toMatch(/Invalid OrderPlaced v1 payload: items\.0\.quantity/);
    expect(await deadLetters.get(valid.id)).toEqual(letter);

    // Requeued as it was, it fails the same way and comes back.
    expect(await deadLetters.requeue(valid.id)).toBe(true);
    await waitFor(async () => (await deadLetters.count()) === 1 && (await stateOf(queue, valid.id)) === 'failed', 'second dead letter', 10_000);
    // Requeued with the corrected event, it is applied and leaves the dead-letter queue.
    expect(await deadLetters.requeue(valid.id, { event: valid })).toBe(true);
    await waitFor(async () => (await stateOf(queue, valid.id)) === 'completed', 'requeued completion', 10_000);
    expect(await deadLetters.count()).toBe(0);
    expect(await effects(consumer)).toBe(1);
    expect(await deadLetters.requeue(randomUUID())).toBe(false);
  });

  it('dead-letters a job whose retries are exhausted', async () => {
    const consumer = 'exhausted';
    const queue = queueOf(consumer);
    let calls = 0;
    const started = start(consumer, {
      OrderPlaced: async () => {
        calls += 1;
        throw new Error('still broken');
      },
    });
    const event = orderPlaced();
    await queue.add(event.type, event, { ...FAST_RETRIES, attempts: 3, jobId: event.id });
    await waitFor(async () => (await started.deadLetters.count()) === 1, 'dead letter', 10_000);
    expect(calls).toBe(3);
    expect(await started.deadLetters.get(event.id)).toMatchObject({ attemptsMade: 3, unrecoverable: false, error: { message: 'still broken' }, event });
  });

  it('a worker closed mid-job lets the job finish: its effect commits once', async () => {
    const consumer = 'closing';
    const queue = queueOf(consumer);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    const running = start(consumer, {
      OrderPlaced: async (event, tx) => {
        started = true;
        await recordEffect(tx, consumer, event);
        await gate; // still in the handler, transaction open, when close() is called
      },
    });
    const event = orderPlaced();
    await queue.add(event.type, event, { jobId: event.id });
    await waitFor(() => started, 'handler start', 10_000);
    let closed = false;
    const closing = running.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closed).toBe(false); // close() waits for the job in flight
    release();
    await closing;
    expect(await stateOf(queue, event.id)).toBe('completed');
    expect(await effects(consumer)).toBe(1);
    const [row] = await env.prisma.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM processed_events WHERE consumer = ${consumer}`;
    expect(row!.n).toBe(1);
  });
});

describe('worker processes killed mid-job', () => {
  /** A consumer process that takes a job and hangs in its handler, transaction open, until it is killed. */
  function doomedWorker(consumer: string) {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./testing/doomed-worker.ts', import.meta.url))], {
      env: { ...process.env, DATABASE_URL: env.database.url, QUEUE_PREFIX: env.queues.prefix, CONSUMER: consumer },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    return {
      ready: () => waitFor(() => output.includes('ready'), 'child worker', 30_000),
      inHandler: () => waitFor(() => output.includes('in-handler'), 'child in the handler', 15_000),
      async kill() {
        if (child.exitCode === null) child.kill('SIGKILL');
        await exited;
      },
    };
  }

  it('leave no effect behind; the job runs again elsewhere with its effect once, also after two workers died on it in a row', async () => {
    const consumer = 'killed';
    const queue = queueOf(consumer);
    const first = doomedWorker(consumer);
    let second: ReturnType<typeof doomedWorker> | undefined;
    try {
      await first.ready();
      const event = orderPlaced();
      await queue.add(event.type, event, { ...FAST_RETRIES, jobId: event.id });
      await first.inHandler();
      expect(await effects(consumer)).toBe(0); // written, but not committed
      second = doomedWorker(consumer); // started now, so that the first one takes the job
      await second.ready();
      // The killed process held the job's lock and an open transaction: Postgres rolls the transaction back when
      // the connection drops, and BullMQ hands the job to another worker once the lock lapses (a stalled job).
      await first.kill();
      await second.inHandler();
      await second.kill();
      expect(await effects(consumer)).toBe(0);

      // Stalled twice: with BullMQ's default (maxStalledCount 1) the job would now fail unprocessed.
      const rescuer = createEventConsumer({
        consumer,
        db: env.prisma,
        queues: env.queues,
        workerOptions: { lockDuration: 1_000, stalledInterval: 500 },
        handlers: { OrderPlaced: (delivered, tx) => recordEffect(tx, consumer, delivered) },
      });
      consumers.push(rescuer);
      await waitFor(async () => (await stateOf(queue, event.id)) === 'completed', 'the job to run again', 20_000);
      expect(await effects(consumer)).toBe(1);
      expect(await rescuer.deadLetters.list()).toEqual([]);
    } finally {
      await Promise.all([first.kill(), second?.kill()]);
    }
  });
});

describe('outbox to consumer, end to end', () => {
  it('a relay that crashes before marking publishes again, and the consumer applies the event once', async () => {
    const consumer = 'end-to-end';
    const completed: string[] = [];
    const running = start(consumer, { OrderPlaced: (event, tx) => recordEffect(tx, consumer, event) });
    running.worker.on('completed', (job: Job) => completed.push(String(job.id)));
    queueOf(consumer);
    const event = orderPlaced();
    await env.prisma.$transaction(async (tx) => writeToOutbox(tx, event));
    // removeOnComplete: true, so the republished job is not absorbed by BullMQ and reaches the consumer again.
    const options = { queues: env.queues, subscriptions: { [consumer]: ['OrderPlaced' as const] }, jobOptions: { removeOnComplete: true } };
    let crash = true;
    const crashing = new OutboxRelay({
      ...options,
      db: {
        $transaction: (fn, txOptions) =>
          env.prisma.$transaction(async (tx) => {
            const result = await fn(tx);
            // Published and marked, but the commit never happens.
            if (crash) throw new Error('crashed before commit');
            return result;
          }, txOptions),
      },
    });
    try {
      await expect(crashing.relayOnce()).rejects.toThrow('crashed before commit');
      await waitFor(() => completed.length === 1, 'first delivery', 10_000);
      crash = false;
      expect(await crashing.relayOnce()).toEqual({ published: 1, failed: 0 });
      await waitFor(() => completed.length === 2, 'redelivery', 10_000);
    } finally {
      await crashing.stop();
    }
    expect(completed).toEqual([event.id, event.id]); // delivered twice…
    expect(await effects(consumer)).toBe(1); // …applied once
  });
});
