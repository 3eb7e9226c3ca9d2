import { fileURLToPath } from 'node:url';
import { nameBasedUuid } from '@storefront/api-conventions';
import { viewerWithRoles, type Viewer } from '@storefront/identity';
import { SEED_TIMELINE, SeedNamespace, seedOrders, type SeedOrder, type SeedPlan } from '@storefront/seed-world';
import { openDatabase, type ServiceDatabase } from '@storefront/prisma-tools';
import { startTestSubgraph, type TestSubgraph } from '@storefront/testing';
import { MIGRATIONS_DIR, PrismaClient } from './database.ts';
import { start } from './index.ts';
import { createNotification, orderEventDedupeKey } from './notification-events.ts';

const PLAN: SeedPlan = { users: 60, categories: 4, products: 60, warehouses: 2, orders: 300, wishlistItemsPerUser: 0 };
const userId = (i: number) => nameBasedUuid(SeedNamespace.user, i);
const admin: Viewer = viewerWithRoles(userId(0), ['ADMIN', 'CUSTOMER']);
const customer = (i: number): Viewer => viewerWithRoles(userId(i), ['CUSTOMER']);

let sub: TestSubgraph;
let direct: ServiceDatabase;
/** The test's own connection to the subgraph's database, to add notifications the way the workers will. */
let prisma: PrismaClient;
beforeAll(async () => {
  sub = await startTestSubgraph(fileURLToPath(new URL('..', import.meta.url)), start, PLAN);
  direct = await openDatabase({ target: { kind: 'postgres', url: sub.database.url }, migrationsDir: MIGRATIONS_DIR, migrate: false, poolSize: 2 });
  prisma = new PrismaClient({ adapter: direct.adapter });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await direct?.close();
  await sub?.close();
});

// ------------------------------------------------------------------------------------- the seed world's facts

const ORDERS = [...seedOrders(PLAN)];

/** The notifications an order's final state implies (the seeding rules, stated independently of seed.ts). */
function kindsOf(order: SeedOrder): string[] {
  switch (order.status) {
    case 'FULFILLED':
      return ['ORDER_PLACED', 'ORDER_PAID', 'ORDER_SHIPPED'];
    case 'PAID':
      return ['ORDER_PLACED', 'ORDER_PAID'];
    case 'CANCELLED':
      return ['ORDER_PLACED', order.cancelReason === 'PAYMENT_DECLINED' ? 'PAYMENT_DECLINED' : 'ORDER_CANCELLED'];
    default:
      return ['ORDER_PLACED'];
  }
}

function seededNotificationsOf(userIndex: number) {
  return ORDERS.filter((order) => order.userIndex === userIndex).flatMap((order) =>
    kindsOf(order).map((kind) => ({ id: nameBasedUuid(SeedNamespace.notification, `${order.number}:${kind}`), kind, orderId: order.id })),
  );
}

const countsByUser = new Map<number, number>();
for (const order of ORDERS) countsByUser.set(order.userIndex, (countsByUser.get(order.userIndex) ?? 0) + kindsOf(order).length);
/** The user with the most notifications, so paging crosses many pages. */
const busiest = [...countsByUser.entries()].sort((a, b) => b[1] - a[1])[0]![0];
/** The newest order's user has unread notifications (only those older than 30 days were read). */
const recent = ORDERS.at(-1)!.userIndex;

// -------------------------------------------------------------------------------------------------- helpers

interface NotificationNode {
  id: string;
  kind: string;
  title: string;
  readAt: string | null;
  createdAt: string;
  order: { id: string } | null;
  deliveries: Array<{ channel: string; status: string; attempts: number; lastError: string | null }>;
}
type Feed = { edges: Array<{ cursor: string; node: NotificationNode }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
type UserEntity = { notifications: Feed; unreadNotificationCount: number } | null;

const NODE = 'id kind title readAt createdAt order { id } deliveries { channel status attempts lastError }';

function userEntities(ids: string[], fields: string, viewer: Viewer | undefined, variables: Record<string, unknown> = {}, params = '') {
  return sub.query<{ _entities: UserEntity[] }>(
    `query ($r: [_Any!]!${params}) { _entities(representations: $r) { ... on User { ${fields} } } }`,
    { r: ids.map((id) => ({ __typename: 'User', id })), ...variables },
    viewer,
  );
}

async function wholeFeed(user: number, viewer: Viewer, unreadOnly: boolean, first: number): Promise<NotificationNode[]> {
  const nodes: NotificationNode[] = [];
  let after: string | null = null;
  for (;;) {
    const { body } = await userEntities(
      [userId(user)],
      `notifications(first: ${first}, after: $after, unreadOnly: ${unreadOnly}) { edges { cursor node { ${NODE} } } pageInfo { hasNextPage endCursor } }`,
      viewer,
      { after },
      ', $after: String',
    );
    expect(body.errors).toBeUndefined();
    const feed = body.data!._entities[0]!.notifications;
    expect(feed.edges.length).toBeLessThanOrEqual(first);
    nodes.push(...feed.edges.map((edge) => edge.node));
    if (!feed.pageInfo.hasNextPage) return nodes;
    after = feed.pageInfo.endCursor;
  }
}

const unreadCount = async (user: number) =>
  (await userEntities([userId(user)], 'unreadNotificationCount', admin)).body.data!._entities[0]!.unreadNotificationCount;

const fresh = (user: number, n: number) => {
  const orderId = nameBasedUuid('test-order', `${user}:${n}`);
  return createNotification(prisma, {
    userId: userId(user),
    kind: 'ORDER_PLACED',
    orderId,
    dedupeKey: orderEventDedupeKey(orderId, 'ORDER_PLACED'),
    channels: ['IN_APP'],
    message: { orderNumber: `T-${n}`, amount: { amount: 100, currency: 'EUR' } },
  });
};

// ---------------------------------------------------------------------------------------------------- tests

describe("a user's notifications", () => {
  it('pages through every notification of the user exactly once, newest first', async () => {
    const expected = seededNotificationsOf(busiest);
    expect(expected.length).toBeGreaterThan(12);
    const nodes = await wholeFeed(busiest, customer(busiest), false, 4);
    expect(nodes.map((n) => n.id).sort()).toEqual(expected.map((n) => n.id).sort());
    expect(nodes.map((n) => ({ id: n.id, kind: n.kind, orderId: n.order?.id })).sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual(
      expected.map(({ id, kind, orderId }) => ({ id, kind, orderId })).sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
    const times = nodes.map((n) => n.createdAt);
    expect(times).toEqual([...times].sort().reverse());
    const placed = ORDERS.find((o) => o.userIndex === busiest)!;
    expect(nodes.find((n) => n.id === nameBasedUuid(SeedNamespace.notification, `${placed.number}:ORDER_PLACED`))!.title).toBe(
      `Order ${placed.number} placed`,
    );
  });

  it('lists only unread notifications when asked, matching the unread count', async () => {
    const all = await wholeFeed(recent, customer(recent), false, 100);
    const unread = await wholeFeed(recent, customer(recent), true, 2);
    expect(unread.length).toBeGreaterThan(0);
    expect(unread.length).toBeLessThan(all.length);
    expect(unread.map((n) => n.id)).toEqual(all.filter((n) => n.readAt === null).map((n) => n.id));
    expect(await unreadCount(recent)).toBe(unread.length);
    // Seeded notifications were read only when older than 30 days before the end of the timeline.
    for (const n of all) expect(n.readAt === null).toBe(Date.parse(n.createdAt) >= SEED_TIMELINE.ordersTo - 30 * 86_400_000);
  });

  it('shows each delivery, IN_APP before EMAIL, with failed e-mails and their errors', async () => {
    const nodes = (await Promise.all(Array.from({ length: PLAN.users }, (_, u) => wholeFeed(u, admin, false, 100)))).flat();
    expect(nodes).toHaveLength([...countsByUser.values()].reduce((a, b) => a + b, 0));
    for (const node of nodes) {
      expect(node.deliveries.map((d) => d.channel)).toEqual(['IN_APP', 'EMAIL']);
      expect(node.deliveries[0]).toEqual({ channel: 'IN_APP', status: 'SENT', attempts: 1, lastError: null });
    }
    const failed = nodes.map((n) => n.deliveries[1]!).filter((d) => d.status === 'FAILED');
    expect(failed.length).toBe(await prisma.delivery.count({ where: { status: 'FAILED' } }));
    expect(failed.length).toBeGreaterThan(0);
    for (const delivery of failed) expect(delivery).toEqual({ channel: 'EMAIL', status: 'FAILED', attempts: 3, lastError: '550 mailbox unavailable' });
  });

  it('gives users without notifications an empty feed and a zero count', async () => {
    const { body } = await userEntities([nameBasedUuid('nobody', 1)], 'notifications { edges { cursor } pageInfo { hasNextPage endCursor } } unreadNotificationCount', admin);
    expect(body.data!._entities).toEqual([{ notifications: { edges: [], pageInfo: { hasNextPage: false, endCursor: null } }, unreadNotificationCount: 0 }]);
  });

  it('refuses page sizes over 100 and cursors it did not issue', async () => {
    const tooMany = await userEntities([userId(busiest)], 'notifications(first: 101) { edges { cursor } }', admin);
    expect(tooMany.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    const forged = await userEntities([userId(busiest)], 'notifications(after: "bm90IGEgY3Vyc29y") { edges { cursor } }', admin);
    expect(forged.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
  });

  it('resolves User references with an id that is not a UUID to null', async () => {
    const { body } = await userEntities(['not-a-uuid'], 'unreadNotificationCount', admin);
    expect(body.data!._entities).toEqual([null]);
  });
});

describe('who may read notifications', () => {
  const feed = 'notifications(first: 1) { edges { node { id } } }';

  it('refuses anonymous callers and other customers, allows the user and admins', async () => {
    expect((await userEntities([userId(busiest)], feed, undefined)).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await userEntities([userId(busiest)], feed, customer(busiest === 1 ? 2 : 1))).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await userEntities([userId(busiest)], 'unreadNotificationCount', customer(busiest === 1 ? 2 : 1))).body.errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );
    for (const viewer of [customer(busiest), admin]) {
      const { body } = await userEntities([userId(busiest)], feed, viewer);
      expect(body.errors).toBeUndefined();
      expect(body.data!._entities[0]!.notifications.edges).toHaveLength(1);
    }
  });

  it('resolves Notification references for their user only; unknown and malformed ids are null', async () => {
    const [own] = seededNotificationsOf(busiest);
    const lookup = (ids: string[], viewer?: Viewer) =>
      sub.query<{ _entities: Array<{ id: string; order: { id: string } | null; deliveries: unknown[] } | null> }>(
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Notification { id order { id } deliveries { channel } } } }',
        { r: ids.map((id) => ({ __typename: 'Notification', id })) },
        viewer,
      );
    const mine = await lookup([own!.id, nameBasedUuid('nope', 1), 'not-a-uuid'], customer(busiest));
    expect(mine.body.data!._entities).toEqual([
      { id: own!.id, order: { id: own!.orderId }, deliveries: [{ channel: 'IN_APP' }, { channel: 'EMAIL' }] },
      null,
      null,
    ]);
    expect((await lookup([own!.id], customer(busiest === 1 ? 2 : 1))).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await lookup([own!.id])).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('answers order: null for a notification about no order', async () => {
    const { notification } = await createNotification(prisma, {
      userId: userId(3),
      kind: 'REFUND_ISSUED',
      dedupeKey: 'test:no-order',
      channels: ['IN_APP'],
      message: { orderNumber: 'SO-X', amount: { amount: 500, currency: 'EUR' } },
    });
    const { body } = await sub.query<{ _entities: Array<{ order: null; deliveries: unknown[] }> }>(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Notification { order { id } deliveries { channel status attempts } } } }',
      { r: [{ __typename: 'Notification', id: notification.id }] },
      customer(3),
    );
    expect(body.data!._entities).toEqual([{ order: null, deliveries: [{ channel: 'IN_APP', status: 'PENDING', attempts: 0 }] }]);
  });
});

describe('markNotificationsRead', () => {
  type Payload = { updatedCount: number; unreadNotificationCount: number; errors: Array<{ path: string[]; code: string }> };
  const mark = async (viewer: Viewer | undefined, ids?: string[]) =>
    sub.query<{ markNotificationsRead: Payload }>(
      'mutation ($ids: [ID!]) { markNotificationsRead(ids: $ids) { updatedCount unreadNotificationCount errors { path code } } }',
      ids === undefined ? {} : { ids },
      viewer,
    );
  const isRead = async (id: string) => (await prisma.notification.findUniqueOrThrow({ where: { id } })).readAt !== null;

  it("marks the given notifications read and ignores other users' ids", async () => {
    const u = 40;
    const before = await unreadCount(u);
    const [a, b] = await Promise.all([fresh(u, 1), fresh(u, 2)]);
    const theirs = await fresh(41, 1);
    const { body } = await mark(customer(u), [a.notification.id, theirs.notification.id]);
    expect(body.data!.markNotificationsRead).toEqual({ updatedCount: 1, unreadNotificationCount: before + 1, errors: [] });
    expect(await isRead(a.notification.id)).toBe(true);
    expect(await isRead(b.notification.id)).toBe(false);
    expect(await isRead(theirs.notification.id)).toBe(false);
    // Marking again changes nothing.
    expect((await mark(customer(u), [a.notification.id])).body.data!.markNotificationsRead).toEqual({
      updatedCount: 0,
      unreadNotificationCount: before + 1,
      errors: [],
    });
  });

  it('marks all of the viewer’s unread notifications without ids', async () => {
    const u = 42;
    await Promise.all([fresh(u, 1), fresh(u, 2), fresh(u, 3)]);
    const before = await unreadCount(u);
    expect(before).toBeGreaterThanOrEqual(3);
    expect((await mark(customer(u))).body.data!.markNotificationsRead).toEqual({ updatedCount: before, unreadNotificationCount: 0, errors: [] });
    expect(await unreadCount(u)).toBe(0);
    expect(await prisma.notification.count({ where: { userId: userId(u), readAt: null } })).toBe(0);
  });

  it('reports invalid ids by position and changes nothing', async () => {
    const u = 43;
    const { notification } = await fresh(u, 1);
    const before = await unreadCount(u);
    const { body } = await mark(customer(u), ['nope', notification.id, '42']);
    expect(body.data!.markNotificationsRead).toEqual({
      updatedCount: 0,
      unreadNotificationCount: before,
      errors: [
        { path: ['ids', '0'], code: 'INVALID' },
        { path: ['ids', '2'], code: 'INVALID' },
      ],
    });
    expect(await isRead(notification.id)).toBe(false);
  });

  it('requires a signed-in viewer', async () => {
    expect((await mark(undefined)).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('counts each notification once when the same user marks all at once from several tabs', async () => {
    const u = 44;
    await Promise.all(Array.from({ length: 5 }, (_, n) => fresh(u, n)));
    const before = await unreadCount(u);
    const results = await Promise.all(Array.from({ length: 6 }, () => mark(customer(u))));
    const payloads = results.map((r) => r.body.data!.markNotificationsRead);
    expect(payloads.reduce((sum, p) => sum + p.updatedCount, 0)).toBe(before);
    for (const payload of payloads) expect(payload.unreadNotificationCount).toBe(0);
  });
});

describe('batching', () => {
  const usersWithFeeds = (n: number) =>
    userEntities(
      Array.from({ length: n }, (_, i) => userId(i + 1)),
      'notifications(first: 5) { edges { node { title order { id } deliveries { channel status } } } } unreadNotificationCount',
      admin,
    );

  it('costs the same statements for 1 or 50 users with their notifications, deliveries and counts', async () => {
    const one = await sub.countQueries(async () => expect((await usersWithFeeds(1)).body.errors).toBeUndefined());
    let fifty: { _entities: UserEntity[] } | null | undefined;
    const fiftyCount = await sub.countQueries(async () => {
      fifty = (await usersWithFeeds(50)).body.data;
    });
    expect(one).toBe(3);
    expect(fiftyCount).toBe(one);
    expect(fifty!._entities.filter((user) => user!.notifications.edges.length === 5).length).toBeGreaterThan(30);
  });

  it('costs the same statements for 1 or 50 Notification references with their deliveries', async () => {
    const ids = ORDERS.slice(0, 50).map((order) => nameBasedUuid(SeedNamespace.notification, `${order.number}:ORDER_PLACED`));
    const lookup = (n: number) =>
      sub.query<{ _entities: Array<{ id: string } | null> }>(
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Notification { id title deliveries { channel } } } }',
        { r: ids.slice(0, n).map((id) => ({ __typename: 'Notification', id })) },
        admin,
      );
    const one = await sub.countQueries(() => lookup(1));
    const fifty = await sub.countQueries(async () => expect((await lookup(50)).body.data!._entities.every((e) => e !== null)).toBe(true));
    expect(one).toBe(2);
    expect(fifty).toBe(one);
  });
});
