/** A call that was given up on because its deadline passed (the call itself may still finish later). */
export class DeadlineExceededError extends Error {
  constructor(
    readonly what: string,
    readonly deadlineMs: number,
  ) {
    super(`${what} did not answer within ${deadlineMs} ms`);
    this.name = 'DeadlineExceededError';
  }
}

/**
 * `work`'s result, or DeadlineExceededError once `deadlineMs` has passed, whichever comes first. Nothing is
 * cancelled: `work` runs on and its late result or error is dropped, so use it where a late outcome is harmless
 * (a cache read, an idempotent write) or handled.
 *
 * A timer that fires late because this process was busy may find the answer already waiting in a socket,
 * unread: timers run before I/O in each turn of the event loop. So the verdict is given one turn later
 * (setImmediate runs after I/O is polled), and a busy process does not mistake itself for a dead server.
 */
export function withDeadline<T>(work: Promise<T>, deadlineMs: number, what = 'the call'): Promise<T> {
  let settled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = work.finally(() => {
    settled = true;
    clearTimeout(timer);
  });
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      setImmediate(() => {
        if (!settled) reject(new DeadlineExceededError(what, deadlineMs));
      });
    }, deadlineMs);
  });
  // The loser of the race must not surface as an unhandled rejection.
  outcome.catch(() => undefined);
  expired.catch(() => undefined);
  return Promise.race([outcome, expired]);
}
