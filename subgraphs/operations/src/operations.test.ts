import { randomUUID } from 'node:crypto';
import { postGraphQL, signTestIdentity, silentLogger, TEST_TRUSTED_SIGNERS, type GraphQLResponse, type TestViewer } from '@storefront/testing';
import { Queue } from 'bullmq';
import { start, type RunningOperations } from './index.ts';
import { startTestQueues, type TestQueues } from './test-support.ts';

const admin: TestViewer = { userId: randomUUID(), roles: ['ADMIN', 'CUSTOMER'] };
const customer: TestViewer = { userId: randomUUID(), roles: ['CUSTOMER'] };

let queues: TestQueues;
let operations: RunningOperations;

beforeAll(async () => {
  queues = startTestQueues('operations');
  operations = await start(
    {
      http: { nodeEnv: 'test', host: '127.0.0.1', port: 0, maxBodyBytes: 1_000_000, trustedSigners: TEST_TRUSTED_SIGNERS },
      logLevel: 'silent',
      logFormat: 'json',
      queues: queues.queues,
    },
    silentLogger,
  );
});

afterAll(async () => {
  await operations?.close();
  await queues?.close();
});

function query<Data = Record<string, unknown>>(text: string, variables: Record<string, unknown> = {}, viewer: TestViewer | null = admin) {
  return postGraphQL<Data>(operations.url, { query: text, variables }, { token: signTestIdentity('operations', viewer) });
}

const DEAD_LETTER_FIELDS = 'id queue jobName payload error { name message stack } attemptsMade unrecoverable failedAt';

interface DeadLetterJson {
  id: string;
  queue: string;
  jobName: string;
  payload: string;
  error: { name: string; message: string; stack: string | null };
  attemptsMade: number;
  unrecoverable: boolean;
  failedAt: string;
}

interface PageJson {
  deadLetters: { edges: Array<{ cursor: string; node: DeadLetterJson }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

describe('access', () => {
  it('refuses anonymous callers and customers on every field', async () => {
    for (const text of [
      '{ queues { name } }',
      '{ deadLetters { edges { cursor } } }',
      '{ deadLetter(queue: "events.inventory", id: "x") { id } }',
      'mutation { requeueDeadLetter(queue: "events.inventory", id: "x") { errors { code } } }',
      'mutation { discardDeadLetter(queue: "events.inventory", id: "x") { errors { code } } }',
    ]) {
      expect((await query(text, {}, null)).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect((await query(text, {}, customer)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('is ready when Redis answers', async () => {
    expect((await fetch(operations.url.replace('/graphql', '/ready'))).status).toBe(200);
  });
});

describe('dead letters', () => {
  const eventId = randomUUID();

  beforeAll(async () => {
    await queues.deadLetter('events.inventory', { id: eventId, name: 'StockReservationRequested', data: { id: eventId, type: 'StockReservationRequested' } });
    await queues.deadLetter('events.inventory', { id: 'second', name: 'StockReleaseRequested', data: { n: 2 } });
    await queues.deadLetter('jobs.invoices', { id: 'invoice-1', name: 'invoice', data: { orderId: 'o-1' } }, new TypeError('bad pdf'), { unrecoverable: true });
    // A queue no code declares, found in Redis: its dead letters are listed too.
    await queues.deadLetter('jobs.legacy-thing', { id: 'legacy-1', name: 'legacy', data: {} });
  });

  it('counts each queue, declared and discovered', async () => {
    const work = new Queue('events.inventory', { connection: queues.queues.connection, prefix: queues.queues.prefix });
    await work.add('StockCommitRequested', { n: 1 }, { jobId: 'waiting-1' });
    await work.close();
    const { body } = await query<{ queues: Array<Record<string, unknown>> }>('{ queues { name waiting active delayed failed completed deadLetters } }');
    expect(body.errors).toBeUndefined();
    const byName = Object.fromEntries(body.data!.queues.map((queue) => [queue.name, queue]));
    expect(byName['events.inventory']).toEqual({ name: 'events.inventory', waiting: 1, active: 0, delayed: 0, failed: 0, completed: 0, deadLetters: 2 });
    expect(byName['jobs.invoices']).toMatchObject({ deadLetters: 1 });
    expect(byName['jobs.legacy-thing']).toMatchObject({ deadLetters: 1 });
    expect(byName['events.orders-saga']).toMatchObject({ deadLetters: 0 });
    expect(Object.keys(byName).some((name) => name.endsWith('.dead-letter'))).toBe(false);
  });

  it('pages through the dead letters of every queue, by queue name then oldest first', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages += 1) {
      const response: GraphQLResponse<PageJson> = await query<PageJson>(
        `query ($after: String) { deadLetters(first: 2, after: $after) { edges { cursor node { queue id } } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      const connection: PageJson['deadLetters'] = response.body.data!.deadLetters;
      seen.push(...connection.edges.map(({ node }) => `${node.queue}/${node.id}`));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toEqual([`events.inventory/${eventId}`, 'events.inventory/second', 'jobs.invoices/invoice-1', 'jobs.legacy-thing/legacy-1']);
  });

  it('lists one queue, and refuses a queue that does not exist', async () => {
    const { body } = await query<PageJson>(`{ deadLetters(queue: "jobs.invoices") { edges { node { ${DEAD_LETTER_FIELDS} } } pageInfo { hasNextPage } } }`);
    expect(body.data!.deadLetters.pageInfo.hasNextPage).toBe(false);
    const [edge] = body.data!.deadLetters.edges;
    expect(edge?.node).toMatchObject({
      id: 'invoice-1',
      queue: 'jobs.invoices',
      jobName: 'invoice',
      error: { name: 'TypeError', message: 'bad pdf' },
      attemptsMade: 1,
      unrecoverable: true,
    });
    expect(JSON.parse(edge!.node.payload)).toEqual({ orderId: 'o-1' });
    expect(new Date(edge!.node.failedAt).getTime()).not.toBeNaN();

    const unknown = await query('{ deadLetters(queue: "jobs.nope") { edges { cursor } } }');
    expect(unknown.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'queue' });
  });

  it('shows one dead letter, or null', async () => {
    const found = await query<{ deadLetter: DeadLetterJson | null }>(`query ($id: ID!) { deadLetter(queue: "events.inventory", id: $id) { ${DEAD_LETTER_FIELDS} } }`, { id: eventId });
    expect(found.body.data?.deadLetter).toMatchObject({ id: eventId, jobName: 'StockReservationRequested', attemptsMade: 3, unrecoverable: false, error: { message: 'handler failed' } });
    expect(found.body.data?.deadLetter?.error.stack).toContain('handler failed');
    expect((await query('{ deadLetter(queue: "events.inventory", id: "missing") { id } }')).body.data).toEqual({ deadLetter: null });
    expect((await query('{ deadLetter(queue: "jobs.nope", id: "x") { id } }')).body.data).toEqual({ deadLetter: null });
  });

  it('requeues a dead letter onto its queue as a fresh job, once', async () => {
    const requeue = `mutation ($queue: String!, $id: ID!) { requeueDeadLetter(queue: $queue, id: $id) { deadLetter { id queue } errors { path code } } }`;
    const { body } = await query(requeue, { queue: 'events.inventory', id: eventId });
    expect(body.data).toEqual({ requeueDeadLetter: { deadLetter: { id: eventId, queue: 'events.inventory' }, errors: [] } });
    const work = new Queue('events.inventory', { connection: queues.queues.connection, prefix: queues.queues.prefix });
    try {
      const job = await work.getJob(eventId);
      expect(job?.data).toEqual({ id: eventId, type: 'StockReservationRequested' });
      expect(await job?.getState()).toBe('waiting');
      expect(job?.opts.attempts).toBe(3);
    } finally {
      await work.close();
    }
    const again = await query(requeue, { queue: 'events.inventory', id: eventId });
    expect(again.body.data).toEqual({ requeueDeadLetter: { deadLetter: null, errors: [{ path: ['id'], code: 'NOT_FOUND' }] } });
    const unknownQueue = await query(requeue, { queue: 'jobs.nope', id: eventId });
    expect(unknownQueue.body.data).toEqual({ requeueDeadLetter: { deadLetter: null, errors: [{ path: ['queue'], code: 'NOT_FOUND' }] } });
  });

  it('discards a dead letter for good', async () => {
    const discard = `mutation ($queue: String!, $id: ID!) { discardDeadLetter(queue: $queue, id: $id) { deadLetter { id } errors { path code } } }`;
    expect((await query(discard, { queue: 'jobs.legacy-thing', id: 'legacy-1' })).body.data).toEqual({ discardDeadLetter: { deadLetter: { id: 'legacy-1' }, errors: [] } });
    expect((await query(discard, { queue: 'jobs.legacy-thing', id: 'legacy-1' })).body.data).toEqual({
      discardDeadLetter: { deadLetter: null, errors: [{ path: ['id'], code: 'NOT_FOUND' }] },
    });
    const { body } = await query<{ queues: Array<{ name: string; deadLetters: number }> }>('{ queues { name deadLetters } }');
    expect(body.data!.queues.find((queue) => queue.name === 'jobs.legacy-thing')?.deadLetters).toBe(0);
  });
});
