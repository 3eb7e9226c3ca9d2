/*
 * The signed-in session in the browser.
 *
 * The access token (a JWT that lives 15 minutes) is kept in memory only: never in localStorage, where any
 * script on the page could read it. The refresh token never reaches the page at all: the router's session
 * endpoint (router/src/session) keeps it in an HttpOnly cookie and rotates it on every refresh. A reload
 * therefore starts by asking /session/refresh for a new access token.
 *
 * Accounts treats a refresh token presented twice as stolen and revokes the session, so two tabs must never
 * refresh with the same cookie at once: refreshes take a lock shared by the tabs (Web Locks), and a tab that
 * refreshed tells the others (BroadcastChannel), which then simply use the new access token.
 */

export interface SessionUser {
  id: string;
  name: string;
  email: string | null;
  roles: string[] | null;
}

export interface Session {
  accessToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  user: SessionUser;
}

export interface SessionError {
  path: string[];
  code: string;
  message: string;
}

/** What a sign-in or sign-up came to: signed in, refused with InputErrors, or failed (rate limit, outage). */
export type SessionResult = { kind: 'signed-in'; session: Session } | { kind: 'refused'; errors: SessionError[] } | { kind: 'failed'; message: string };

export type SessionState = { status: 'unknown' } | { status: 'signed-out' } | { status: 'signed-in'; session: Session };

/** Messages between tabs of the same browser. */
export type TabMessage = { type: 'session'; session: Session } | { type: 'signed-out' };

export interface SessionEnvironment {
  fetch(url: string, init: { method: 'POST'; headers: Record<string, string>; body: string; credentials: 'same-origin' }): Promise<{ status: number; json(): Promise<unknown> }>;
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Runs `work` while holding a lock shared with the other tabs (navigator.locks), or just runs it. */
  withLock<T>(name: string, work: () => Promise<T>): Promise<T>;
  /** A channel to the other tabs, if the browser has one. */
  channel?: { postMessage(message: TabMessage): void; listen(listener: (message: TabMessage) => void): void };
}

/** Refresh this long before the access token expires (or at half its life, for tokens shorter than two margins). */
export const REFRESH_MARGIN_MS = 60_000;

interface SessionBody {
  session: { accessToken: string; expiresAt: string; user: SessionUser } | null;
  errors?: SessionError[];
}

export class SessionManager {
  private state: SessionState = { status: 'unknown' };
  private readonly listeners = new Set<(state: SessionState) => void>();
  private timer: unknown;
  private refreshing: Promise<Session | null> | undefined;

  constructor(
    private readonly env: SessionEnvironment,
    private readonly base = '',
  ) {
    if (env.channel) {
      env.channel.listen((message) => {
        if (message.type === 'session') this.set({ status: 'signed-in', session: message.session }, false);
        else this.set({ status: 'signed-out' }, false);
      });
    }
  }

  get current(): SessionState {
    return this.state;
  }

  subscribe(listener: (state: SessionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The access token to send now: the one held, unless it is about to expire, in which case it is refreshed
   * first. Null when signed out.
   */
  async accessToken(): Promise<string | null> {
    if (this.state.status === 'unknown') await this.refresh();
    if (this.state.status !== 'signed-in') return null;
    if (this.state.session.expiresAt - this.env.now() < 5_000) {
      const session = await this.refresh();
      return session?.accessToken ?? null;
    }
    return this.state.session.accessToken;
  }

  /** Exchanges the refresh cookie for a new access token (and a new cookie). Joins a refresh in flight. */
  refresh(): Promise<Session | null> {
    const known = this.state.status === 'signed-in' ? this.state.session.accessToken : undefined;
    this.refreshing ??= this.env
      .withLock('storefront-session-refresh', async () => {
        // Another tab may have refreshed while this one waited for the lock: its token is good, and the
        // cookie it left is the only valid one, so refreshing again would only rotate it once more.
        if (this.state.status === 'signed-in' && this.state.session.accessToken !== known) return this.state.session;
        const result = await this.post('refresh', {});
        if (result.kind === 'signed-in') return result.session;
        if (result.kind === 'failed' && this.state.status === 'signed-in') {
          // A network failure is not a sign-out: keep the session and try again shortly.
          this.schedule(10_000);
          return this.state.session;
        }
        this.set({ status: 'signed-out' });
        return null;
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  signIn(email: string, password: string): Promise<SessionResult> {
    return this.post('sign-in', { email, password });
  }

  signUp(name: string, email: string, password: string): Promise<SessionResult> {
    return this.post('sign-up', { name, email, password });
  }

  async signOut(): Promise<void> {
    try {
      await this.env.fetch(`${this.base}/session/sign-out`, this.request({}));
    } finally {
      this.set({ status: 'signed-out' });
    }
  }

  private request(body: Record<string, string>) {
    return { method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), credentials: 'same-origin' as const };
  }

  private async post(route: 'sign-in' | 'sign-up' | 'refresh', body: Record<string, string>): Promise<SessionResult> {
    let status: number;
    let json: unknown;
    try {
      const response = await this.env.fetch(`${this.base}/session/${route}`, this.request(body));
      status = response.status;
      json = await response.json();
    } catch (error) {
      return { kind: 'failed', message: error instanceof Error ? error.message : 'The network failed' };
    }
    if (status !== 200) return { kind: 'failed', message: failureMessage(json) };
    const answer = json as SessionBody;
    if (!answer.session) return { kind: 'refused', errors: answer.errors ?? [] };
    const session: Session = { accessToken: answer.session.accessToken, expiresAt: Date.parse(answer.session.expiresAt), user: answer.session.user };
    this.set({ status: 'signed-in', session });
    return { kind: 'signed-in', session };
  }

  private set(state: SessionState, broadcast = true): void {
    this.state = state;
    this.env.clearTimeout(this.timer);
    this.timer = undefined;
    if (state.status === 'signed-in') {
      const lifetime = state.session.expiresAt - this.env.now();
      this.schedule(Math.max(1_000, lifetime - REFRESH_MARGIN_MS, lifetime / 2));
    }
    if (broadcast && state.status !== 'unknown') {
      this.env.channel?.postMessage(state.status === 'signed-in' ? { type: 'session', session: state.session } : { type: 'signed-out' });
    }
    for (const listener of this.listeners) listener(state);
  }

  private schedule(ms: number): void {
    this.env.clearTimeout(this.timer);
    this.timer = this.env.setTimeout(() => void this.refresh(), ms);
  }
}

/** The message of a non-200 answer: the router's error (e.g. TOO_MANY_ATTEMPTS with a retry time). */
function failureMessage(json: unknown): string {
  const error = (json as { errors?: { message?: string; extensions?: { code?: string; retryAfterSeconds?: number } }[] } | undefined)?.errors?.[0];
  if (error?.extensions?.code === 'TOO_MANY_ATTEMPTS') {
    const seconds = error.extensions.retryAfterSeconds;
    return `Too many attempts. Try again${seconds ? ` in ${Math.ceil(seconds / 60)} minute${seconds > 60 ? 's' : ''}` : ' later'}.`;
  }
  if (error?.extensions?.code === 'RATE_LIMITED') return 'Too many requests. Please wait a moment.';
  return error?.message ?? 'Something went wrong. Please try again.';
}
