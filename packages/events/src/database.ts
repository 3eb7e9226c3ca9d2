/*
 * The slice of a Prisma client this package uses. Written as structural interfaces, not PrismaClient, because
 * every subgraph has its own generated client: any of them (and its interactive-transaction client `tx`)
 * fits, and so does a test double. Only the tagged-template forms are used, so every value is a bind
 * parameter, never SQL text.
 */

/** Runs raw SQL: a Prisma client or the `tx` of `prisma.$transaction(async (tx) => …)`. */
export interface SqlExecutor {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>;
}

/** Options Prisma's interactive transactions accept; the defaults (5 s timeout) are short for a relay batch. */
export interface TransactionOptions {
  maxWait?: number;
  timeout?: number;
}

/** A Prisma client: opens interactive transactions whose client runs raw SQL. */
export interface TransactionalDatabase<Tx extends SqlExecutor = SqlExecutor> {
  $transaction<R>(fn: (tx: Tx) => Promise<R>, options?: TransactionOptions): Promise<R>;
}
