/**
 * Joins identical work in flight: the first caller of a key runs it, callers that come while it runs get the
 * same promise, and the key is forgotten once it settles (this is not a cache: nothing outlives the call).
 * What counts as identical is the caller's business; it must put everything the answer depends on in the key.
 */
export class InFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  run(key: string, work: () => Promise<T>, onJoined?: () => void): Promise<T> {
    const known = this.running.get(key);
    if (known) {
      onJoined?.();
      return known;
    }
    const started = work().finally(() => this.running.delete(key));
    this.running.set(key, started);
    return started;
  }

  get size(): number {
    return this.running.size;
  }
}
