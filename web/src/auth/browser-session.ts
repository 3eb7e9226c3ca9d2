import { SessionManager, type SessionEnvironment, type TabMessage } from './session.ts';

function channel(): SessionEnvironment['channel'] {
  if (typeof BroadcastChannel === 'undefined') return undefined;
  const broadcast = new BroadcastChannel('storefront-session');
  return {
    postMessage: (message) => broadcast.postMessage(message),
    listen: (listener) => broadcast.addEventListener('message', (event: MessageEvent<TabMessage>) => listener(event.data)),
  };
}

/** The SessionManager wired to the browser: fetch, Web Locks and a BroadcastChannel where available. */
export function browserSessionManager(): SessionManager {
  const env: SessionEnvironment = {
    fetch: (url, init) => fetch(url, init),
    now: () => Date.now(),
    setTimeout: (callback, ms) => window.setTimeout(callback, ms),
    clearTimeout: (handle) => window.clearTimeout(handle as number | undefined),
    // request() resolves to what the callback's promise resolves to; its typing allows a nested promise.
    withLock: <T>(name: string, work: () => Promise<T>) => ('locks' in navigator ? (navigator.locks.request(name, work) as Promise<T>) : work()),
    channel: channel(),
  };
  return new SessionManager(env);
}
