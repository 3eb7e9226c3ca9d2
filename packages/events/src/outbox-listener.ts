import pg from 'pg';
import { errorMessage, type EventLogger, silentEventLogger } from './logger.ts';
import { OUTBOX_CHANNEL } from './outbox.ts';

/**
 * Tells a relay that outbox rows may be waiting, soon after the transaction that wrote them commits: `wake`
 * is called on every notification and whenever the source (re)connects, since what was notified while it
 * was away is lost (Postgres queues notifications only for sessions listening at commit time).
 */
export interface OutboxWakeups {
  start(wake: () => void): void;
  close(): Promise<void>;
}

export interface PostgresOutboxListenerOptions {
  /**
   * A direct connection to the service's database. Not through a pooler in transaction mode (PgBouncer):
   * LISTEN belongs to one session, and a pooler would hand that session to someone else.
   */
  connectionString: string;
  channel?: string;
  /** Reconnect delay after a lost or refused connection: doubles from min up to max. */
  reconnectDelayMs?: { min: number; max: number };
  logger?: EventLogger;
  /** Told each state change (metrics, tests). */
  onState?: (state: 'listening' | 'disconnected') => void;
}

/**
 * LISTENs for commits of outbox rows (writeToOutbox sends `pg_notify` in the writing transaction, and
 * Postgres delivers a notification only when that transaction commits) on one dedicated connection of its
 * own, outside the Prisma pool: a pooled connection would be returned to the pool and reused.
 *
 * The connection is kept: a restart, a failover or pg_terminate_backend ends it, and the listener reconnects
 * with a growing delay and wakes the relay once it listens again. Nothing here is needed for correctness —
 * the relay still polls, so a notification that never arrives costs latency (up to the relay's longest poll
 * delay), never an event.
 */
export class PostgresOutboxListener implements OutboxWakeups {
  readonly #connectionString: string;
  readonly #channel: string;
  readonly #reconnectDelay: { min: number; max: number };
  readonly #logger: EventLogger;
  readonly #onState: ((state: 'listening' | 'disconnected') => void) | undefined;
  #client: pg.Client | undefined;
  #wake: (() => void) | undefined;
  #closed = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #delay: number;
  #connecting: Promise<void> | undefined;

  constructor(options: PostgresOutboxListenerOptions) {
    this.#connectionString = options.connectionString;
    this.#channel = options.channel ?? OUTBOX_CHANNEL;
    this.#reconnectDelay = options.reconnectDelayMs ?? { min: 100, max: 5_000 };
    this.#delay = this.#reconnectDelay.min;
    this.#logger = options.logger ?? silentEventLogger;
    this.#onState = options.onState;
  }

  /** Whether the listener currently holds a LISTENing connection. */
  get listening(): boolean {
    return this.#client !== undefined;
  }

  start(wake: () => void): void {
    if (this.#wake) return;
    this.#wake = wake;
    this.#connecting = this.#connect();
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({ connectionString: this.#connectionString, keepAlive: true, application_name: 'outbox-listener' });
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      if (this.#client === client) this.#client = undefined;
      client.removeAllListeners('notification');
      client.end().catch(() => {});
      if (this.#closed) return;
      this.#logger.warn({ channel: this.#channel, err: error ? error.message : 'connection ended', retryInMs: this.#delay }, 'outbox listener disconnected');
      this.#onState?.('disconnected');
      this.#scheduleReconnect();
    };
    // Attached before connect: a server that goes away mid-handshake emits 'error', which must not crash us.
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => {
      if (message.channel === this.#channel) this.#wake?.();
    });
    try {
      await client.connect();
      // The channel name is ours, not input; quoted as an identifier all the same.
      await client.query(`LISTEN "${this.#channel.replace(/"/g, '""')}"`);
    } catch (error) {
      onLost(error instanceof Error ? error : new Error(errorMessage(error)));
      return;
    }
    if (lost) return;
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
    this.#delay = this.#reconnectDelay.min;
    this.#onState?.('listening');
    // Rows committed while nobody listened were notified to no one: let the relay look now.
    this.#wake?.();
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#retryTimer) return;
    const delay = this.#delay;
    this.#delay = Math.min(this.#delay * 2, this.#reconnectDelay.max);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#connecting = this.#connect();
    }, delay);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    await this.#connecting;
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
    }
  }
}

/** How a database that delivers its notifications itself is listened to (embedded PGlite's `listen`). */
export type ChannelListen = (channel: string, onNotify: () => void) => Promise<() => Promise<void>>;

/**
 * Wake-ups from a database in this process (embedded PGlite: one session, which hears its own NOTIFYs on
 * commit). Nothing to reconnect; a failure to listen leaves the relay polling, which it logs.
 */
export function embeddedOutboxWakeups(listen: ChannelListen, options: { channel?: string; logger?: EventLogger } = {}): OutboxWakeups {
  const channel = options.channel ?? OUTBOX_CHANNEL;
  const logger = options.logger ?? silentEventLogger;
  let listening: Promise<(() => Promise<void>) | undefined> | undefined;
  return {
    start(wake) {
      listening ??= listen(channel, wake).then(
        (unlisten) => {
          wake();
          return unlisten;
        },
        (error: unknown) => {
          logger.warn({ channel, err: errorMessage(error) }, 'outbox listener not started; the relay polls');
          return undefined;
        },
      );
    },
    async close() {
      const unlisten = await listening;
      listening = undefined;
      await unlisten?.().catch(() => {});
    },
  };
}
