import type { GraphQLFormattedError } from 'graphql';
import { decodeJwt } from 'jose';

/** The largest delay setTimeout keeps (about 24.8 days); longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** When a verified `Bearer` access token expires, in ms since the epoch; undefined without one (anonymous). */
export function accessTokenExpiry(authorization: string | undefined): number | undefined {
  const token = /^Bearer +(\S+)$/i.exec(authorization?.trim() ?? '')?.[1];
  if (!token) return undefined;
  try {
    const exp = decodeJwt(token).exp;
    return typeof exp === 'number' ? exp * 1_000 : undefined;
  } catch {
    return undefined;
  }
}

export const tokenExpiredError = (): GraphQLFormattedError => ({
  message: 'The access token expired, which ends this subscription: refresh the token, subscribe again, and query what changed meanwhile.',
  extensions: { code: 'UNAUTHENTICATED' },
});

export const shutdownError = (): GraphQLFormattedError => ({
  message: 'The router is shutting down, which ends this subscription: subscribe again (another replica will serve it).',
  extensions: { code: 'SHUTTING_DOWN' },
});

/**
 * What ends a connection's subscriptions early: its access token expiring, or `end()` (shutdown). `ended`
 * settles once with the first of them.
 */
export class SessionEnd {
  readonly ended: Promise<GraphQLFormattedError>;
  private settle!: (error: GraphQLFormattedError) => void;
  private timer: NodeJS.Timeout | undefined;
  private done = false;

  constructor(
    expiresAtMs: number | undefined,
    private readonly onEnd?: (error: GraphQLFormattedError, reason: 'token_expired' | 'shutdown') => void,
  ) {
    this.ended = new Promise((resolve) => {
      this.settle = resolve;
    });
    if (expiresAtMs !== undefined) {
      this.timer = setTimeout(() => this.finish(tokenExpiredError(), 'token_expired'), Math.min(MAX_TIMER_MS, Math.max(0, expiresAtMs - Date.now())));
      this.timer.unref();
    }
  }

  end(error: GraphQLFormattedError = shutdownError()): void {
    this.finish(error, 'shutdown');
  }

  /** The connection closed by itself: nothing more to end. */
  dispose(): void {
    this.done = true;
    clearTimeout(this.timer);
  }

  private finish(error: GraphQLFormattedError, reason: 'token_expired' | 'shutdown'): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.settle(error);
    this.onEnd?.(error, reason);
  }
}
