import { useMutation, useQuery } from '@apollo/client/react';
import { useSession } from '../auth/SessionContext.tsx';
import { ErrorMessage, formatDate, Loading, SignInPrompt, Unavailable } from '../components/common.tsx';
import { graphql } from '../generated/gql/index.ts';
import { Link } from '../router.tsx';

export const UnreadCountQuery = graphql(`
  query UnreadCount {
    me {
      id
      unreadNotificationCount
    }
  }
`);

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
