import { useApolloClient, useMutation, useQuery, useSubscription } from '@apollo/client/react';
import { useEffect, useState } from 'react';
import { OVER_WEBSOCKET } from '../apollo.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { ErrorMessage, formatDate, Loading, SignInPrompt, Unavailable } from '../components/common.tsx';
import { graphql } from '../generated/gql/index.ts';
import { useLiveSocketState } from '../live-socket.tsx';
import { Link } from '../router.tsx';

export const UnreadCountQuery = graphql(`
  query UnreadCount {
    me {
      id
      unreadNotificationCount
    }
  }
`);

const NotificationAddedSubscription = graphql(`
  subscription NotificationAdded {
    notificationAdded {
      id
      readAt
    }
  }
`);

/** How often the bell asks for the count while its subscription cannot deliver (socket down, refused). */
const FALLBACK_POLL_MS = 30_000;
/**
 * How long after a failed subscription the bell subscribes again: soon after one failure (an expired token ends
 * it), then doubling up to 5 minutes while it keeps failing (a server without subscriptions, e.g. on PGlite).
 */
const resubscribeDelayMs = (failures: number) => Math.min(5_000 * 2 ** (failures - 1), 300_000);

/**
 * The header bell's unread count, live: `notificationAdded` over the app's WebSocket counts each new unread
 * notification up in the cache (and refreshes the notification list if it is open). The router replays
 * nothing missed while disconnected, so every (re)connect asks for the count once; only while the socket is
 * down or the subscription failed does the bell poll.
 */
export function useUnreadCount(signedIn: boolean): number {
  const client = useApolloClient();
  const socket = useLiveSocketState();
  const [failures, setFailures] = useState(0);
  const [failed, setFailed] = useState(false);
  const unread = useQuery(UnreadCountQuery, { skip: !signedIn });
  const { restart } = useSubscription(NotificationAddedSubscription, {
    skip: !signedIn,
    context: OVER_WEBSOCKET,
    onData: ({ data }) => {
      const added = data.data?.notificationAdded;
      setFailures(0);
      if (!added || added.readAt) return;
      client.cache.updateQuery({ query: UnreadCountQuery }, (current) =>
        current?.me ? { me: { ...current.me, unreadNotificationCount: (current.me.unreadNotificationCount ?? 0) + 1 } } : current,
      );
      void client.refetchQueries({ include: ['Notifications'] });
    },
    onError: () => {
      setFailed(true);
      setFailures((count) => count + 1);
    },
  });
  useEffect(() => {
    if (!failed) return;
    const timer = setTimeout(() => {
      setFailed(false);
      restart();
    }, resubscribeDelayMs(failures));
    return () => clearTimeout(timer);
  }, [failed, failures, restart]);

  const live = signedIn && !failed && socket === 'connected';
  const { startPolling, stopPolling, refetch } = unread;
  useEffect(() => {
    if (!signedIn || live) stopPolling();
    else startPolling(FALLBACK_POLL_MS);
  }, [signedIn, live, startPolling, stopPolling]);
  useEffect(() => {
    if (live) void refetch();
  }, [live, refetch]);
  return unread.data?.me?.unreadNotificationCount ?? 0;
}

const NotificationsQuery = graphql(`
  query Notifications($after: String) {
    me {
      id
      unreadNotificationCount
      notifications(first: 20, after: $after) {
        edges {
          cursor
          node {
            id
            kind
            title
            body
            createdAt
            readAt
            order {
              id
              number
            }
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

const MarkReadMutation = graphql(`
  mutation MarkNotificationsRead($ids: [ID!]) {
    markNotificationsRead(ids: $ids) {
      unreadNotificationCount
      updatedCount
      errors {
        path
        code
        message
      }
    }
  }
`);

export function NotificationsPage() {
  const session = useSession();
  const { data, error, loading, fetchMore } = useQuery(NotificationsQuery, { skip: session.status !== 'signed-in', fetchPolicy: 'cache-and-network' });
  const [markRead, marking] = useMutation(MarkReadMutation, { refetchQueries: ['Notifications', 'UnreadCount'] });
  if (session.status === 'signed-out') return <SignInPrompt what="to see your notifications" />;
  if (error && !data) return <ErrorMessage error={error} />;
  if (!data?.me) return <Loading />;
  const me = data.me;
  const unread = me.unreadNotificationCount ?? 0;
  return (
    <section aria-labelledby="notifications-title">
      <h1 id="notifications-title">Notifications</h1>
      <p>
        {unread} unread{' '}
        {unread > 0 ? (
          <button type="button" disabled={marking.loading} onClick={() => void markRead({ variables: { ids: null } })}>
            Mark all as read
          </button>
        ) : null}
      </p>
      <ErrorMessage error={marking.error} />
      <ul className="notifications">
        {!me.notifications ? <Unavailable what="Notifications" /> : null}
        {me.notifications?.edges.map(({ node }) => (
          <li key={node.id} className={node.readAt ? 'panel' : 'panel unread'}>
            <strong>{node.title}</strong> <span className="muted">{formatDate(node.createdAt)}</span>
            <p>{node.body}</p>
            {node.order ? <Link to={`/orders/${node.order.id}`}>Order {node.order.number}</Link> : null}
            {!node.readAt ? (
              <button type="button" className="link" onClick={() => void markRead({ variables: { ids: [node.id] } })}>
                Mark as read
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      {me.notifications?.pageInfo.hasNextPage ? (
        <button type="button" disabled={loading} onClick={() => void fetchMore({ variables: { after: me.notifications?.pageInfo.endCursor } })}>
          Older notifications
        </button>
      ) : null}
    </section>
  );
}
