/*
 * npm run dlq -- <command>: the dead letters of the queues in Redis (REDIS_URL, QUEUE_PREFIX), for operators.
 *   list [--queue <queue>] [--limit <n>]   dead letters, by queue then oldest first (default limit 50)
 *   show <queue> <id>                      one dead letter: error, stack and the job data
 *   requeue <queue> <id>                   put it back on its queue as a fresh job (full attempts)
 *   discard <queue> <id>                   delete it for good
 *   stats                                  job counts and dead letters of every queue
 * Exit codes: 0 done, 1 no such queue or dead letter, 2 usage or configuration error, 3 Redis unreachable or
 * another failure.
 * The same operations exist as admin GraphQL fields (the operations subgraph) and in bull-board.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { queueConnectionFromEnv, type DeadLetter, type QueueConnection } from '@storefront/events';
import { QueueAdmin, UnknownQueueError } from '@storefront/events';

export const EXIT = { ok: 0, notFound: 1, usage: 2, failed: 3 } as const;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const USAGE = `usage: npm run dlq -- <command>
  list [--queue <queue>] [--limit <n>]
  show <queue> <id>
  requeue <queue> <id>
  discard <queue> <id>
  stats`;

/** Plain-text columns, padded to the widest cell; no colours, so the output greps and pipes well. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function oneLine(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function describe(deadLetter: DeadLetter): string {
  return [
    `queue:        ${deadLetter.queue}`,
    `id:           ${deadLetter.id}`,
    `job:          ${deadLetter.jobName}`,
    `failed at:    ${deadLetter.failedAt}`,
    `attempts:     ${deadLetter.attemptsMade}${deadLetter.unrecoverable ? ' (unrecoverable)' : ''}`,
    `error:        ${deadLetter.error.name}: ${deadLetter.error.message}`,
    '',
    'stack:',
    deadLetter.error.stack ?? '(none)',
    '',
    'data:',
    JSON.stringify(deadLetter.event, null, 2),
  ].join('\n');
}

/** Runs one command; answers the exit code. `queues` defaults to REDIS_URL / QUEUE_PREFIX. */
export async function main(argv: readonly string[], io: CliIo, queues?: QueueConnection): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { queue: { type: 'string' }, limit: { type: 'string' }, help: { type: 'boolean' } } });
  } catch (error) {
    io.err(`${(error as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  const [command, ...args] = parsed.positionals;
  const needsTarget = command === 'show' || command === 'requeue' || command === 'discard';
  const known = command === 'list' || command === 'stats' || needsTarget;
  if (parsed.values.help || !known || (needsTarget && args.length !== 2) || (!needsTarget && args.length > 0)) {
    io.err(USAGE);
    return parsed.values.help ? EXIT.ok : EXIT.usage;
  }
  const limit = Number(parsed.values.limit ?? 50);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    io.err('--limit must be an integer from 1 to 10000');
    return EXIT.usage;
  }
  let connection: QueueConnection;
  try {
    connection = queues ?? queueConnectionFromEnv();
  } catch (error) {
    io.err((error as Error).message);
    return EXIT.usage;
  }

  const admin = new QueueAdmin(connection);
  try {
    // BullMQ's connections wait for Redis indefinitely; an operator at a terminal wants to hear it is down.
    try {
      await admin.ping();
    } catch (error) {
      io.err(`cannot reach Redis at ${connection.connection.host}:${connection.connection.port}: ${(error as Error).message}`);
      return EXIT.failed;
    }
    const [queue = '', id = ''] = args;
    switch (command) {
      case 'stats': {
        const stats = await admin.stats();
        io.out(
          table(
            ['QUEUE', 'WAITING', 'ACTIVE', 'DELAYED', 'FAILED', 'COMPLETED', 'DEAD LETTERS'],
            stats.map((s) => [s.name, ...[s.waiting, s.active, s.delayed, s.failed, s.completed, s.deadLetters].map(String)]),
          ),
        );
        return EXIT.ok;
      }
      case 'list': {
        const page = await admin.deadLetters({ queue: parsed.values.queue, offset: 0, limit });
        if (page.deadLetters.length === 0) {
          io.out('no dead letters');
          return EXIT.ok;
        }
        io.out(
          table(
            ['QUEUE', 'ID', 'JOB', 'ATTEMPTS', 'FAILED AT', 'ERROR'],
            page.deadLetters.map((d) => [d.queue, d.id, d.jobName, `${d.attemptsMade}${d.unrecoverable ? '!' : ''}`, d.failedAt, oneLine(`${d.error.name}: ${d.error.message}`)]),
          ),
        );
        if (page.hasMore) io.out(`… more than ${limit}: use --limit or --queue`);
        return EXIT.ok;
      }
      case 'show': {
        const deadLetter = await admin.deadLetter(queue, id);
        if (!deadLetter) return notFound(io, queue, id);
        io.out(describe(deadLetter));
        return EXIT.ok;
      }
      case 'requeue': {
        if (!(await admin.requeue(queue, id))) return notFound(io, queue, id);
        io.out(`requeued ${id} on ${queue}`);
        return EXIT.ok;
      }
      default: {
        if (!(await admin.discard(queue, id))) return notFound(io, queue, id);
        io.out(`discarded ${id} from ${queue}.dead-letter`);
        return EXIT.ok;
      }
    }
  } catch (error) {
    if (!(error instanceof UnknownQueueError)) throw error;
    io.err(`${error.message}; see npm run dlq -- stats`);
    return EXIT.notFound;
  } finally {
    await admin.close();
  }
}

function notFound(io: CliIo, queue: string, id: string): number {
  io.err(`no dead letter ${id} in ${queue}`);
  return EXIT.notFound;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const io: CliIo = { out: (text) => process.stdout.write(`${text}\n`), err: (text) => process.stderr.write(`${text}\n`) };
  main(process.argv.slice(2), io).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`dlq failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(EXIT.failed);
    },
  );
}
