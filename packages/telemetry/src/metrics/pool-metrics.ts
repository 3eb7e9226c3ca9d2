import { Gauge, type Registry } from 'prom-client';

/** What a pg.Pool reports about its connections. */
export interface PoolStats {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** db_pool_connections{state=total|idle|waiting}, read from the pool at each scrape. */
export function registerPoolMetrics(registry: Registry, pool: PoolStats, labels: { pool?: string } = {}): void {
  const name = labels.pool ?? 'default';
  new Gauge({
    name: 'db_pool_connections',
    help: 'Database pool connections: total open, idle, and clients waiting for one',
    labelNames: ['pool', 'state'] as const,
    registers: [registry],
    collect() {
      this.set({ pool: name, state: 'total' }, pool.totalCount);
      this.set({ pool: name, state: 'idle' }, pool.idleCount);
      this.set({ pool: name, state: 'waiting' }, pool.waitingCount);
    },
  });
}
