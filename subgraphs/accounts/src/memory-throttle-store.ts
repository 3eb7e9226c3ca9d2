import { lockAfter, type ThrottleCounter, type ThrottleStore } from './throttle-store.ts';

interface Entry {
  failures: number;
  lockedUntil: number;
  expiresAt: number;
}

/**
 * Bounds the counters one process holds: attackers choose the e-mails (and may forge many addresses), so
 * every new key costs memory. Past the bound the least recently touched counters are forgotten.
 */
const DEFAULT_MAX_ENTRIES = 100_000;

/**
 * The same counters as the Redis store, in this process: the fallback while Redis is away, with the same
 * semantics (redis-throttle-store.ts runs the same steps in Lua).
 */
export class MemoryThrottleStore implements ThrottleStore {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxEntries = DEFAULT_MAX_ENTRIES,
  ) {}

  async attempt(counters: readonly ThrottleCounter[]): Promise<number> {
    const now = this.now();
    const wait = Math.max(0, ...counters.map(({ key }) => (this.live(key, now)?.lockedUntil ?? 0) - now));
    if (wait > 0) return wait;
    for (const { key, rule } of counters) {
      const failures = (this.live(key, now)?.failures ?? 0) + 1;
      const lock = lockAfter(failures, rule);
      this.put(key, { failures, lockedUntil: lock ? now + lock : 0, expiresAt: now + lock + rule.memoryMs });
    }
    return 0;
  }

  async succeeded(reset: readonly ThrottleCounter[], refund: readonly ThrottleCounter[]): Promise<void> {
    const now = this.now();
    for (const { key } of reset) this.entries.delete(key);
    for (const { key, rule } of refund) {
      const entry = this.live(key, now);
      if (!entry) continue;
      const failures = entry.failures - 1;
      if (failures <= 0) this.entries.delete(key);
      else this.put(key, { ...entry, failures, lockedUntil: failures < rule.freeFailures ? 0 : entry.lockedUntil });
    }
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private put(key: string, entry: Entry): void {
    // Re-inserting moves the key to the end of the Map's order, so the first key is the least recently touched.
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, entry);
  }
}
