import { storefrontTracer } from '@storefront/telemetry';
import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import pg from 'pg';

/** Counts the SQL statements a process sends; tests use it to prove batching (queries per request). */
export class QueryCounter {
  #count = 0;
  get count(): number {
    return this.#count;
  }
  record(): void {
    this.#count += 1;
  }
  /** Number of statements sent while `work` ran. */
  async measure<T>(work: () => Promise<T>): Promise<{ result: T; queries: number }> {
    const before = this.#count;
    const result = await work();
    return { result, queries: this.#count - before };
  }
}

const CHAR_OID = 18;
const CHAR_ARRAY_OID = 1002;
const TEXT_OID = 25;
const TEXT_ARRAY_OID = 1009;

interface PoolOptions {
  connectionString: string;
  max?: number;
  counter?: QueryCounter;
  /**
   * The schema engine's introspection reads pg_catalog columns of type "char", which @prisma/adapter-pg refuses
   * to deserialize (prisma/orm#27403). They are single characters, so reading them as text is exact.
   */
  relabelCharColumns?: boolean;
}

type QueryResultLike = { fields?: Array<{ dataTypeID: number }> };

/**
 * A client span for one SQL statement, only inside a recorded trace: statements outside any request (a relay's
 * polling, health checks) would each start a trace of their own. The text is Prisma's parameterized SQL, so
 * no values reach the trace.
 */
function sqlSpan(args: unknown[], database: string | undefined): Span | undefined {
  if (!trace.getActiveSpan()?.isRecording()) return undefined;
  const first = args[0];
  const text = typeof first === 'string' ? first : (first as { text?: unknown } | undefined)?.text;
  if (typeof text !== 'string') return undefined;
  const operation = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? 'QUERY';
  return storefrontTracer().startSpan(database ? `${operation} ${database}` : operation, {
    kind: SpanKind.CLIENT,
    attributes: {
      'db.system': 'postgresql',
      'db.system.name': 'postgresql',
      'db.operation.name': operation,
      'db.query.text': text.length > 2_000 ? `${text.slice(0, 2_000)}…` : text,
      ...(database ? { 'db.namespace': database } : {}),
    },
  });
}

function endSqlSpan(span: Span | undefined, error: unknown): void {
  if (!span) return;
  if (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }
  span.end();
}

function relabelChar(result: unknown): void {
  const results = Array.isArray(result) ? result : [result];
  for (const r of results as QueryResultLike[]) {
    for (const field of r?.fields ?? []) {
      if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
      else if (field.dataTypeID === CHAR_ARRAY_OID) field.dataTypeID = TEXT_ARRAY_OID;
    }
  }
}

/** A pg.Pool whose connections optionally count statements and relabel "char" columns. */
export function createPgPool({ connectionString, max, counter, relabelCharColumns = false }: PoolOptions): pg.Pool {
  class InstrumentedClient extends pg.Client {
    // pg's query() has a dozen overloads; we only observe the call and its result, so pass everything through.
    override query(...args: unknown[]): never {
      counter?.record();
      const span = sqlSpan(args, this.database);
      // pg-pool passes a callback; direct callers get a promise. Observe either path.
      const last = args.length - 1;
      const callback = args[last];
      if (typeof callback === 'function') {
        args[last] = (error: unknown, result: unknown) => {
          endSqlSpan(span, error);
          if (!error && relabelCharColumns) relabelChar(result);
          (callback as (e: unknown, r: unknown) => void)(error, result);
        };
      }
      const result = (super.query as (...a: unknown[]) => unknown)(...args);
      if (result instanceof Promise) {
        return result.then(
          (r: unknown) => {
            endSqlSpan(span, undefined);
            if (relabelCharColumns) relabelChar(r);
            return r;
          },
          (error: unknown) => {
            endSqlSpan(span, error);
            throw error;
          },
        ) as never;
      }
      // A submittable (cursor, stream) ends later, on its own events; no project code sends one traced.
      if (typeof callback !== 'function') endSqlSpan(span, undefined);
      return result as never;
    }
  }
  const pool = new pg.Pool({ connectionString, max, Client: InstrumentedClient });
  /*
   * A connection the server ends (restart, pg_terminate_backend, DROP DATABASE … FORCE) emits 'error' on its
   * client, idle or checked out. Without listeners that would crash the process; the failure already reaches
   * whoever uses the connection next, as a failed query, which is where it is handled.
   */
  const ignore = () => {};
  pool.on('error', ignore);
  pool.on('connect', (client) => client.on('error', ignore));
  return pool;
}

/** Creates the database named in `connectionString` when it does not exist yet (needs CREATEDB). */
export async function ensureDatabaseExists(connectionString: string): Promise<boolean> {
  const url = new URL(connectionString);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) throw new Error(`The database URL ${redactUrl(connectionString)} names no database`);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount) return false;
    await admin.query(`CREATE DATABASE ${quoteIdentifier(database)}`);
    return true;
  } catch (error) {
    // Two processes may race to create the same database; the loser sees duplicate_database.
    if ((error as { code?: string }).code === '42P04') return false;
    throw error;
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(connectionString: string): Promise<void> {
  const url = new URL(connectionString);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(database)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** The same server and credentials, another database. */
export function withDatabase(connectionString: string, database: string): string {
  const url = new URL(connectionString);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function redactUrl(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '<unparseable database URL>';
  }
}
