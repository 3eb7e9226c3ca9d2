/**
 * Hit/miss/error counters per cache, kept in process so they cost nothing on the request path. The router
 * exposes a snapshot (`RunningRouter.cacheStats()`) and logs it periodically; /metrics will read the same.
 */

export interface CacheCounters {
  hits: number;
  misses: number;
  /** Redis failed or timed out (or was down); the request went on uncached. */
  errors: number;
  /** Values written. */
  writes: number;
  /** Entries dropped by invalidation. */
  invalidations: number;
}

export type CacheName = 'apq' | 'queryPlans' | 'responses' | 'entities';

export class CacheStats {
  private readonly counters = new Map<string, CacheCounters>();

  private of(cache: string): CacheCounters {
    let counters = this.counters.get(cache);
    if (!counters) {
      counters = { hits: 0, misses: 0, errors: 0, writes: 0, invalidations: 0 };
      this.counters.set(cache, counters);
    }
    return counters;
  }

  count(cache: string, what: keyof CacheCounters, by = 1): void {
    this.of(cache)[what] += by;
  }

  hit(cache: string, by = 1): void {
    this.count(cache, 'hits', by);
  }

  miss(cache: string, by = 1): void {
    this.count(cache, 'misses', by);
  }

  error(cache: string): void {
    this.count(cache, 'errors');
  }

  /** A copy of every counter, by cache name. */
  snapshot(): Record<string, CacheCounters> {
    return Object.fromEntries([...this.counters].map(([name, counters]) => [name, { ...counters }]));
  }
}
