import { parentPort, Worker } from 'node:worker_threads';

/*
 * A fixed set of worker threads for CPU-bound tasks, so they never stall the request thread. Each worker runs
 * one task at a time; tasks beyond the workers wait in a bounded queue, and past it are refused at once
 * (PoolOverloadedError): under a burst callers get a quick "busy" instead of a queue whose waits outgrow
 * every client's timeout. A worker that dies fails only its own task and is replaced.
 */

/** Messages between the pool and a worker (serveTasks is the worker's side). */
type ToWorker<Input> = { id: number; input: Input };
type FromWorker<Output> = { type: 'ready' } | { type: 'done'; id: number; output: Output } | { type: 'failed'; id: number; message: string };

export interface WorkerPoolOptions {
  /** The module each worker runs (TypeScript is fine, see worker-entry.mjs); it calls serveTasks. */
  module: URL;
  /** Worker threads; each runs one task at a time. */
  size: number;
  /** Tasks that may wait for a worker; more are refused with PoolOverloadedError. */
  maxQueue: number;
}

/** Every worker and the queue are busy: try again shortly. */
export class PoolOverloadedError extends Error {
  override readonly name = 'PoolOverloadedError';
}

/** The pool is closing or closed. */
export class PoolClosedError extends Error {
  override readonly name = 'PoolClosedError';
}

/** A task's worker reported an error or died while running it. */
export class WorkerTaskError extends Error {
  override readonly name = 'WorkerTaskError';
}

interface Task<Input, Output> {
  id: number;
  input: Input;
  resolve(output: Output): void;
  reject(error: Error): void;
}

interface Slot<Input, Output> {
  worker: Worker;
  ready: boolean;
  task: Task<Input, Output> | undefined;
}

const WORKER_ENTRY = new URL('./worker-entry.mjs', import.meta.url);

/** A worker that dies before it is ready is replaced only after this, so a broken module cannot spin. */
const RESPAWN_DELAY_MS = 1_000;

export class WorkerPool<Input, Output> {
  private readonly slots = new Set<Slot<Input, Output>>();
  private readonly queue: Array<Task<Input, Output>> = [];
  /** Every task not yet settled, running or queued: close() waits for them. */
  private readonly unsettled = new Set<Promise<unknown>>();
  private nextId = 1;
  private closing: Promise<void> | undefined;

  private constructor(private readonly options: WorkerPoolOptions) {}

  /** Starts every worker and waits until each has loaded its module; fails if one cannot. */
  static async start<Input, Output>(options: WorkerPoolOptions): Promise<WorkerPool<Input, Output>> {
    if (!Number.isInteger(options.size) || options.size < 1) throw new Error(`a worker pool needs at least one thread (got ${options.size})`);
    const pool = new WorkerPool<Input, Output>(options);
    try {
      await Promise.all(Array.from({ length: options.size }, () => pool.spawn()));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Runs one task on the next free worker. */
  run(input: Input): Promise<Output> {
    if (this.closing) return Promise.reject(new PoolClosedError('the worker pool is closed'));
    const result = new Promise<Output>((resolve, reject) => {
      const task = { id: this.nextId++, input, resolve, reject };
      const idle = this.idleSlot();
      if (idle) this.dispatch(idle, task);
      else if (this.queue.length < this.options.maxQueue) this.queue.push(task);
      else reject(new PoolOverloadedError(`all ${this.options.size} workers are busy and ${this.queue.length} tasks wait`));
    });
    this.unsettled.add(result);
    const forget = () => void this.unsettled.delete(result);
    result.then(forget, forget);
    return result;
  }

  /** Tasks running and waiting now (for tests and metrics). */
  get load(): { running: number; queued: number } {
    return { running: [...this.slots].filter((slot) => slot.task).length, queued: this.queue.length };
  }

  /** Refuses new and queued tasks, lets running ones finish, then stops the threads. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const task of this.queue.splice(0)) task.reject(new PoolClosedError('the worker pool closed before the task ran'));
      await Promise.allSettled([...this.unsettled]);
      await Promise.all([...this.slots].map((slot) => slot.worker.terminate()));
      this.slots.clear();
    })();
    return this.closing;
  }

  private idleSlot(): Slot<Input, Output> | undefined {
    for (const slot of this.slots) if (slot.ready && !slot.task) return slot;
    return undefined;
  }

  private dispatch(slot: Slot<Input, Output>, task: Task<Input, Output>): void {
    slot.task = task;
    // A busy worker keeps the process alive until its answer arrives; an idle one does not hold it open.
    slot.worker.ref();
    slot.worker.postMessage({ id: task.id, input: task.input } satisfies ToWorker<Input>);
  }

  private finish(slot: Slot<Input, Output>): Task<Input, Output> | undefined {
    const { task } = slot;
    slot.task = undefined;
    slot.worker.unref();
    const next = this.closing ? undefined : this.queue.shift();
    if (next && slot.ready) this.dispatch(slot, next);
    return task;
  }

  private spawn(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const worker = new Worker(WORKER_ENTRY, { workerData: { module: this.options.module.href } });
      const slot: Slot<Input, Output> = { worker, ready: false, task: undefined };
      this.slots.add(slot);
      worker.on('message', (message: FromWorker<Output>) => {
        if (message.type === 'ready') {
          slot.ready = true;
          worker.unref();
          resolve();
          const waiting = this.closing ? undefined : this.queue.shift();
          if (waiting) this.dispatch(slot, waiting);
        } else if (message.type === 'done') {
          this.finish(slot)?.resolve(message.output);
        } else {
          this.finish(slot)?.reject(new WorkerTaskError(message.message));
        }
      });
      // An uncaught error ends the worker: its 'exit' follows, which replaces it.
      worker.on('error', (error) => {
        if (!slot.ready) reject(error);
        slot.task?.reject(new WorkerTaskError(`the worker failed: ${error.message}`));
        slot.task = undefined;
      });
      worker.on('exit', (code) => {
        this.slots.delete(slot);
        slot.task?.reject(new WorkerTaskError(`the worker exited (code ${code}) while running the task`));
        if (!slot.ready) reject(new Error(`a worker of ${this.options.module.pathname} exited (code ${code}) before it was ready`));
        if (this.closing) return;
        const replace = () => void this.spawn().catch(() => {});
        if (slot.ready) replace();
        else setTimeout(replace, RESPAWN_DELAY_MS).unref();
      });
    });
  }
}

/**
 * The worker's side: answers each task with `handle`'s result (or its error) and announces that it is ready,
 * once its module has loaded. Call it from the worker's entry module.
 */
export function serveTasks<Input, Output>(handle: (input: Input) => Promise<Output>): void {
  const port = parentPort;
  if (!port) throw new Error('serveTasks runs in a worker thread');
  port.on('message', ({ id, input }: ToWorker<Input>) => {
    handle(input).then(
      (output) => port.postMessage({ type: 'done', id, output } satisfies FromWorker<Output>),
      (error: unknown) => port.postMessage({ type: 'failed', id, message: error instanceof Error ? error.message : String(error) } satisfies FromWorker<Output>),
    );
  });
  port.postMessage({ type: 'ready' } satisfies FromWorker<Output>);
}
