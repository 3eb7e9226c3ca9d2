import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { startTestQueues, type TestQueues } from '../../../subgraphs/operations/src/test-support.ts';
import { EXIT, main, table } from './dead-letters.ts';

let queues: TestQueues;

beforeAll(async () => {
  queues = startTestQueues('dlq-cli');
  await queues.deadLetter('events.payments', { id: 'event-1', name: 'PaymentCaptureRequested', data: { orderId: 'o-1', amount: 1250 } }, new Error('provider timed out'));
  await queues.deadLetter('jobs.sales-reports', { id: 'report-7', name: 'sales-report', data: { month: '2026-10' } }, new RangeError('no such month'), { unrecoverable: true });
});

afterAll(() => queues?.close());

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (text) => out.push(text), err: (text) => err.push(text) }, queues.queues);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

it('lays out aligned columns', () => {
  expect(table(['A', 'LONG'], [['xyz', '1'], ['q', '22']])).toBe('A    LONG\nxyz  1\nq    22');
});

it('lists dead letters of every queue, or of one', async () => {
  const all = await run('list');
  expect(all.code).toBe(EXIT.ok);
  const lines = all.out.split('\n');
  expect(lines[0]).toMatch(/^QUEUE\s+ID\s+JOB\s+ATTEMPTS\s+FAILED AT\s+ERROR$/);
  expect(lines[1]).toMatch(/^events\.payments\s+event-1\s+PaymentCaptureRequested\s+3\s+\S+\s+Error: provider timed out$/);
  expect(lines[2]).toMatch(/^jobs\.sales-reports\s+report-7\s+sales-report\s+1!\s+\S+\s+RangeError: no such month$/);
  expect(lines).toHaveLength(3);

  const one = await run('list', '--queue', 'jobs.sales-reports');
  expect(one.out.split('\n')).toHaveLength(2);
  expect((await run('list', '--limit', '1')).out).toContain('more than 1');
  expect((await run('list', '--queue', 'events.inventory')).out).toBe('no dead letters');
});

it('shows one dead letter with its error and data', async () => {
  const { code, out } = await run('show', 'events.payments', 'event-1');
  expect(code).toBe(EXIT.ok);
  expect(out).toContain('job:          PaymentCaptureRequested');
  expect(out).toContain('error:        Error: provider timed out');
  expect(out).toContain('"amount": 1250');
});

it('prints stats per queue', async () => {
  const { code, out } = await run('stats');
  expect(code).toBe(EXIT.ok);
  expect(out.split('\n')[0]).toMatch(/^QUEUE\s+WAITING\s+ACTIVE\s+DELAYED\s+FAILED\s+COMPLETED\s+DEAD LETTERS$/);
  expect(out).toMatch(/^events\.payments\s+0\s+0\s+0\s+0\s+0\s+1$/m);
  expect(out).toMatch(/^jobs\.invoices\s+0\s+0\s+0\s+0\s+0\s+0$/m);
});

it('answers 1 for what does not exist and 2 for a wrong command line', async () => {
  expect(await run('show', 'events.payments', 'nope')).toMatchObject({ code: EXIT.notFound, err: 'no dead letter nope in events.payments' });
  expect((await run('requeue', 'jobs.nope', 'x')).code).toBe(EXIT.notFound);
  expect((await run('discard', 'events.payments')).code).toBe(EXIT.usage);
  expect((await run('frobnicate')).code).toBe(EXIT.usage);
  expect((await run('list', '--limit', 'many')).code).toBe(EXIT.usage);
  expect((await run('list', '--bogus')).code).toBe(EXIT.usage);
});

it('requeues onto the work queue and discards for good', async () => {
  expect(await run('requeue', 'events.payments', 'event-1')).toMatchObject({ code: EXIT.ok, out: 'requeued event-1 on events.payments' });
  const work = new Queue('events.payments', { connection: queues.queues.connection, prefix: queues.queues.prefix });
  try {
    expect((await work.getJob('event-1'))?.data).toEqual({ orderId: 'o-1', amount: 1250 });
  } finally {
    await work.close();
  }
  expect((await run('discard', 'jobs.sales-reports', 'report-7')).code).toBe(EXIT.ok);
  expect((await run('discard', 'jobs.sales-reports', 'report-7')).code).toBe(EXIT.notFound);
  expect((await run('list')).out).toBe('no dead letters');
});

// One spawn only: starting tsx on a busy machine takes seconds; main() covers the other exit codes above.
it('runs as npm run dlq does, configured by REDIS_URL and QUEUE_PREFIX', () => {
  const script = fileURLToPath(new URL('./dead-letters.ts', import.meta.url));
  const env = { ...process.env, QUEUE_PREFIX: queues.queues.prefix, REDIS_URL: `redis://${queues.queues.connection.host}:${queues.queues.connection.port}` };
  const ran = spawnSync(process.execPath, ['--import', 'tsx', script, 'stats'], { env, encoding: 'utf8', timeout: 30_000 });
  expect(ran.stderr).toBe('');
  expect(ran.status).toBe(EXIT.ok);
  expect(ran.stdout).toMatch(/^events\.payments\s+1\s/m);
});
