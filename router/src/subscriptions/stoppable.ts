/*
 * An async generator's return() waits while the generator is suspended at an await (not a yield): a
 * subscription idle in `await deliveries.next()` would not end when its client completes it or goes away, and
 * would keep its place in the shared stream until the next event. `stoppable` wraps a generator so that
 * return() (and throw()) first call `stop`, which ends what the generator awaits (the member queue), then
 * waits for the generator to finish.
 */
export function stoppable<T>(generator: AsyncGenerator<T>, stop: () => void): AsyncGenerator<T> {
  const wrapped = {
    next: (...args: [] | [unknown]) => generator.next(...args),
    return: (value?: T | PromiseLike<T>) => {
      stop();
      return generator.return(value as T);
    },
    throw: (error: unknown) => {
      stop();
      return generator.throw(error);
    },
    [Symbol.asyncIterator]: () => wrapped,
    [Symbol.asyncDispose]: async () => {
      stop();
      await generator.return(undefined as T);
    },
  };
  // The object has every member of AsyncGenerator; TypeScript cannot see a literal as one.
  return wrapped as unknown as AsyncGenerator<T>;
}
