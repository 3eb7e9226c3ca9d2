import { DateTimeScalar, isUuid, parsePage, toConnection } from '@storefront/api-conventions';
import type { Resolvers } from './generated/resolvers-types.ts';
import { type RequestContext } from '@storefront/http-host';
import { requireOwnerOrAdmin, requireViewer } from '@storefront/identity';
import type { PrismaClient } from './database.ts';
import type { NotificationsLoaders } from './loaders.ts';
import { markNotificationsRead } from './mark-read.ts';
import { notificationPosition, notificationPositionOf } from './notification-feed.ts';
import { notificationAddedResolvers, type NotificationHub } from './subscriptions/notification-added.ts';

export interface NotificationsContext extends RequestContext {
  prisma: PrismaClient;
  loaders: NotificationsLoaders;
  /** Committed new notifications, for Subscription.notificationAdded (absent where no feed runs). */
  notificationsAdded?: NotificationHub;
}

/** Users belong to accounts; here a User is only the id the router sends. */
interface UserReference {
  id: string;
}

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,

  Subscription: notificationAddedResolvers,

  Mutation: {
    markNotificationsRead(_, { ids }, { prisma, viewer }) {
      return markNotificationsRead(prisma, requireViewer(viewer).userId, ids);
    },
  },

  User: {
    // Nothing to load: this subgraph stores no users, only their notifications (fetched by the fields below,
    // batched across every User in the request). An id that is not a UUID cannot be a user.
    __resolveReference: (reference): UserReference | null => (isUuid(reference.id) ? { id: reference.id } : null),
    async notifications(
      user,
      args,
      { viewer, loaders },
    ) {
      requireOwnerOrAdmin(viewer, user.id);
      const page = parsePage(args, notificationPosition);
      const rows = await loaders.notificationsOfUser({ page, unreadOnly: args.unreadOnly ?? false }).load(user.id);
      return toConnection(rows, page, notificationPositionOf);
    },
    unreadNotificationCount(user, _, { viewer, loaders }) {
      requireOwnerOrAdmin(viewer, user.id);
      return loaders.unreadCountOfUser.load(user.id);
    },
  },

  Notification: {
    // Notifications are private: only their user (or an admin) may resolve one, like User.notifications.
    async __resolveReference(reference, { viewer, loaders }) {
      const notification = isUuid(reference.id) ? await loaders.notificationById.load(reference.id) : null;
      if (notification) requireOwnerOrAdmin(viewer, notification.userId);
      return notification;
    },
    // The router resolves Order's other fields in orders; we only know its id.
    order: (notification) => (notification.orderId ? { id: notification.orderId } : null),
    deliveries: (notification, _, { loaders }) =>
      loaders.deliveriesOfNotification.load(notification.id),
  },
};
