/**
 * A bounded push-to-pull queue: producers push, one consumer iterates with `for await`. When more than
 * `limit` values wait, the queue fails with `overflow()`'s error instead of buffering without bound (a slow
 * consumer is dropped, not allowed to grow the process). `onClose` runs once, however iteration ends.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly values: T[] = [];
  private waiting: { resolve(result: IteratorResult<T>): void; reject(error: unknown): void } | undefined;
  private failure: unknown;
  private ended = false;
  private closed = false;

  constructor(
    private readonly limit: number,
    private readonly overflow: () => Error,
    private readonly onClose?: () => void,
  ) {}

  /** Whether the queue still takes values. */
  get open(): boolean {
    return !this.ended && this.failure === undefined;
  }

  push(value: T): void {
    if (!this.open) return;
    if (this.waiting) {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting.resolve({ value, done: false });
      return;
    }
    if (this.values.length >= this.limit) {
      this.fail(this.overflow());
      return;
    }
    this.values.push(value);
  }

  /** Ends iteration once the values already queued are consumed. */
  end(): void {
    if (!this.open) return;
    this.ended = true;
    if (this.waiting && this.values.length === 0) {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting.resolve({ value: undefined, done: true });
    }
    this.closeOnce();
  }

  /** Ends iteration with `error`, dropping what is queued. */
  fail(error: unknown): void {
    if (!this.open) return;
    this.failure = error;
    this.values.length = 0;
    if (this.waiting) {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting.reject(error);
    }
    this.closeOnce();
  }

  next(): Promise<IteratorResult<T>> {
    const value = this.values.shift();
    if (value !== undefined) return Promise.resolve({ value, done: false });
    if (this.failure !== undefined && this.failure !== null) {
      const failure = this.failure;
      // Reported once; later calls see the end.
      this.failure = null;
      return Promise.reject(failure);
    }
    if (this.ended || this.failure === null) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.ended = true;
    this.values.length = 0;
    if (this.waiting) {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting.resolve({ value: undefined, done: true });
    }
    this.closeOnce();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private closeOnce(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose?.();
  }
}
