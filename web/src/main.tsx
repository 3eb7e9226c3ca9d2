import { ApolloProvider } from '@apollo/client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient } from './apollo.ts';
import { App } from './App.tsx';
import { browserSessionManager } from './auth/browser-session.ts';
import { SessionProvider } from './auth/SessionContext.tsx';
import { createLiveSocket, LiveSocketProvider, sameOriginSocketUrl } from './live-socket.tsx';
import './styles.css';

const session = browserSessionManager();
const socket = createLiveSocket(sameOriginSocketUrl(), () => session.accessToken());
const client = createClient(session, '/graphql', socket);
// A reload keeps the visitor signed in: the refresh cookie is exchanged for a new access token.
void session.refresh();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <SessionProvider manager={session}>
      <ApolloProvider client={client}>
        <LiveSocketProvider socket={socket}>
          <App />
        </LiveSocketProvider>
      </ApolloProvider>
    </SessionProvider>
  </StrictMode>,
);
