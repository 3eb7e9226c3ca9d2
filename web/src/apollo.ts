import { ApolloClient, ApolloLink, HttpLink } from '@apollo/client';
import { Defer20220824Handler } from '@apollo/client/incremental';
import { SetContextLink } from '@apollo/client/link/context';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import type { SessionManager } from './auth/session.ts';
import { createCache } from './cache.ts';
import type { LiveSocket } from './live-socket.tsx';

const isSubscription = ({ query }: ApolloLink.Operation) =>
  query.definitions.some((definition) => definition.kind === 'OperationDefinition' && definition.operation === 'subscription');

/** What a subscription asks for in its context to be carried by the app's WebSocket instead of multipart HTTP. */
export const OVER_WEBSOCKET = { transport: 'websocket' } as const;
const wantsWebSocket = (operation: ApolloLink.Operation) => (operation.getContext() as { transport?: string }).transport === 'websocket';

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * Every operation is sent as a persisted query (its SHA-256, then the text only if the router does not know
 * it): in production the router runs in safelist mode with web/persisted-queries.json, built from the very
 * documents this client sends. Without Web Crypto (plain http on a non-local host) the text is sent.
 */
/*
 * Two transports for subscriptions: the app-wide, long-lived ones (the notification bell) go over one WebSocket
 * (graphql-ws) when given OVER_WEBSOCKET, so a session that stays open for hours holds no HTTP connection of
 * the browser's few per origin; a page's short one (an order's checkout progress) stays on multipart HTTP,
 * which needs no socket and ends with the page.
 */
export function createClient(session: SessionManager, uri = '/graphql', socket?: LiveSocket): ApolloClient {
  const auth = new SetContextLink(async (previous) => {
    const token = await session.accessToken();
    return token ? { headers: { ...(previous.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` } } : {};
  });
  const http = new HttpLink({ uri, credentials: 'same-origin' });
  const persisted = globalThis.crypto?.subtle ? new PersistedQueryLink({ sha256: sha256Hex }) : undefined;
  return new ApolloClient({
    cache: createCache(),
    // Subscriptions go as text: the router's streaming transports take no persisted-query hashes.
    link: ApolloLink.from([
      ...(socket ? [ApolloLink.split(wantsWebSocket, new GraphQLWsLink(socket.client))] : []),
      auth,
      persisted ? ApolloLink.split(isSubscription, http, ApolloLink.from([persisted, http])) : http,
    ]),
    incrementalHandler: new Defer20220824Handler(),
    // A subgraph that is down costs a page only its part: keep the partial data and show the errors beside it.
    defaultOptions: { watchQuery: { errorPolicy: 'all' }, query: { errorPolicy: 'all' } },
    clientAwareness: { name: 'storefront-web', version: '0.1.0' },
  });
}

// The default error policy above, declared so that every query's types know data may come with errors.
declare module '@apollo/client' {
  // Apollo Client 4 declares default options by augmenting its namespaces; there is no other way.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  export namespace ApolloClient {
    // eslint-disable-next-line @typescript-eslint/no-namespace
    export namespace DeclareDefaultOptions {
      interface WatchQuery {
        errorPolicy: 'all';
      }
      interface Query {
        errorPolicy: 'all';
      }
    }
  }
}
