import { REFRESH_MARGIN_MS, SessionManager, type SessionEnvironment, type TabMessage } from './session.ts';

/** A fake browser: a clock that moves only when told, timers on it, a scripted /session endpoint. */
function fakeBrowser(answers: Record<string, () => { status: number; body: unknown }>) {
  let now = 1_000_000;
  const timers: { at: number; callback: () => void; id: number }[] = [];
  let nextId = 1;
  const calls: string[] = [];
  const posted: TabMessage[] = [];
  let listener: ((message: TabMessage) => void) | undefined;
  const env: SessionEnvironment = {
    fetch: async (url) => {
      const route = url.replace('/session/', '');
      calls.push(route);
      const answer = answers[route]?.() ?? { status: 404, body: {} };
      return { status: answer.status, json: async () => answer.body };
    },
    now: () => now,
    setTimeout: (callback, ms) => {
      const id = nextId++;
      timers.push({ at: now + ms, callback, id });
      return id;
    },
    clearTimeout: (handle) => {
      const index = timers.findIndex((timer) => timer.id === handle);
      if (index >= 0) timers.splice(index, 1);
    },
    withLock: (_name, work) => work(),
    channel: { postMessage: (message) => posted.push(message), listen: (l) => (listener = l) },
  };
  return {
    env,
    calls,
    posted,
    fromOtherTab: (message: TabMessage) => listener?.(message),
    /** Moves the clock, running the timers that fall due. */
    async advance(ms: number) {
      now += ms;
      for (const timer of timers.filter((t) => t.at <= now)) {
        timers.splice(timers.indexOf(timer), 1);
        timer.callback();
      }
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
    get now() {
      return now;
    },
  };
}

const user = { id: 'u1', name: 'Ada', email: 'ada@example.com', roles: ['CUSTOMER'] };
const session = (token: string, expiresAt: number) => ({ status: 200, body: { session: { accessToken: token, expiresAt: new Date(expiresAt).toISOString(), user }, errors: [] } });

describe('SessionManager', () => {
  it('starts signed out when there is no refresh cookie', async () => {
    const browser = fakeBrowser({ refresh: () => ({ status: 200, body: { session: null, errors: [] } }) });
    const manager = new SessionManager(browser.env);
    expect(await manager.accessToken()).toBeNull();
    expect(manager.current).toEqual({ status: 'signed-out' });
  });

  it('refreshes the access token a minute before it expires, and tells the other tabs', async () => {
    let issued = 0;
    const lifetime = 15 * 60_000;
    const live = fakeBrowser({ 'sign-in': () => session('first', live.now + lifetime), refresh: () => session(`token-${++issued}`, live.now + lifetime) });
    const signedIn = new SessionManager(live.env);
    expect((await signedIn.signIn('ada@example.com', 'pw')).kind).toBe('signed-in');
    expect(await signedIn.accessToken()).toBe('first');
    await live.advance(lifetime - REFRESH_MARGIN_MS - 1_000);
    expect(live.calls).toEqual(['sign-in']);
    await live.advance(1_000);
    expect(live.calls).toEqual(['sign-in', 'refresh']);
    expect(await signedIn.accessToken()).toBe('token-1');
    expect(live.posted.at(-1)).toMatchObject({ type: 'session', session: { accessToken: 'token-1' } });
  });

  it('joins concurrent refreshes into one request, so a rotated refresh token is never presented twice', async () => {
    const browser = fakeBrowser({ refresh: () => session('t', Date.now() + 900_000) });
    const manager = new SessionManager(browser.env);
    await Promise.all([manager.refresh(), manager.refresh(), manager.accessToken()]);
    expect(browser.calls).toEqual(['refresh']);
  });

  it('uses the token another tab refreshed instead of refreshing again', async () => {
    const browser = fakeBrowser({ refresh: () => session('mine', browser.now + 900_000) });
    const manager = new SessionManager(browser.env);
    browser.fromOtherTab({ type: 'session', session: { accessToken: 'theirs', expiresAt: browser.now + 900_000, user } });
    expect(await manager.accessToken()).toBe('theirs');
    expect(browser.calls).toEqual([]);
  });

  it('keeps the session through a network failure while refreshing, and signs out when the refresh token is refused', async () => {
    let mode: 'down' | 'refused' = 'down';
    const browser = fakeBrowser({
      'sign-in': () => session('first', browser.now + 120_000),
      refresh: () => {
        if (mode === 'down') throw new Error('offline');
        return { status: 200, body: { session: null, errors: [] } };
      },
    });
    const manager = new SessionManager(browser.env);
    await manager.signIn('a', 'b');
    await browser.advance(60_000);
    expect(manager.current.status).toBe('signed-in');
    mode = 'refused';
    await browser.advance(10_000);
    expect(manager.current).toEqual({ status: 'signed-out' });
    expect(browser.posted.at(-1)).toEqual({ type: 'signed-out' });
  });

  it('answers InputErrors of a refused sign-up, and the rate limit as a failure with its wait', async () => {
    const errors = [{ path: ['input', 'email'], code: 'ALREADY_EXISTS', message: 'taken' }];
    const browser = fakeBrowser({
      'sign-up': () => ({ status: 200, body: { session: null, errors } }),
      'sign-in': () => ({ status: 429, body: { errors: [{ message: 'no', extensions: { code: 'TOO_MANY_ATTEMPTS', retryAfterSeconds: 300 } }] } }),
    });
    const manager = new SessionManager(browser.env);
    expect(await manager.signUp('Ada', 'ada@example.com', 'pw')).toEqual({ kind: 'refused', errors });
    expect(await manager.signIn('ada@example.com', 'pw')).toEqual({ kind: 'failed', message: 'Too many attempts. Try again in 5 minutes.' });
  });
});
