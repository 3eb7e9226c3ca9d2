import { createClient, type Client } from 'graphql-ws';
import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';

/** Whether the app's WebSocket to the router is open (subscriptions flow) or not (pages fall back to polling). */
export type SocketState = 'idle' | 'connecting' | 'connected' | 'closed';

export interface LiveSocket {
  client: Client;
  state(): SocketState;
  subscribe(listener: () => void): () => void;
}

/** ws(s)://<this origin>/graphql: the router serves graphql-ws on the same path as queries (proxied in dev). */
export function sameOriginSocketUrl(path = '/graphql'): string {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/**
 * One graphql-ws connection for the app's long-lived subscriptions (the notification bell). Lazy: it opens with
 * the first subscription and closes after the last, so a signed-out visitor holds no socket. Each (re)connect
 * sends the current access token in connection_init (the session manager refreshes it when due): the router
 * closes the socket when that token expires, and the retry comes back with a fresh one.
 */
export function createLiveSocket(url: string, accessToken: () => Promise<string | null>): LiveSocket {
  let state: SocketState = 'idle';
  const listeners = new Set<() => void>();
  const set = (next: SocketState) => {
    if (next === state) return;
    state = next;
    for (const listener of listeners) listener();
  };
  const client = createClient({
    url,
    lazy: true,
    connectionParams: async () => {
      const token = await accessToken();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    // Keep trying while subscribed (network loss, a router restarting): polling covers the gap meanwhile.
    retryAttempts: Number.POSITIVE_INFINITY,
    on: {
      connecting: () => set('connecting'),
      connected: () => set('connected'),
      closed: () => set('closed'),
    },
  });
  return {
    client,
    state: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

const LiveSocketContext = createContext<LiveSocket | null>(null);

export function LiveSocketProvider({ socket, children }: { socket: LiveSocket; children: ReactNode }) {
  return <LiveSocketContext.Provider value={socket}>{children}</LiveSocketContext.Provider>;
}

/** The socket's state, re-rendering on change; 'closed' without a provider (nothing live, so poll). */
export function useLiveSocketState(): SocketState {
  const socket = useContext(LiveSocketContext);
  return useSyncExternalStore(
    (listener) => socket?.subscribe(listener) ?? (() => undefined),
    () => socket?.state() ?? 'closed',
  );
}
