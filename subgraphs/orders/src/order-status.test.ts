import { randomUUID } from 'node:crypto';
import { openDatabase, type ServiceDatabase } from '@storefront/prisma-tools';
import { type TestSubgraph } from '@storefront/testing';
import { MIGRATIONS_DIR, OrderStatus, PrismaClient } from './database.ts';
import { canTransition, ORDER_TRANSITIONS, pathTo, transitionOrder, type OrderTransition } from './order-status.ts';
import { customer, startOrders } from './test-fixtures.ts';

const STATUSES = Object.values(OrderStatus);
const ALLOWED = new Set(['PENDING→RESERVED', 'PENDING→CANCELLED', 'RESERVED→PAID', 'RESERVED→CANCELLED', 'PAID→FULFILLED']);
const ALL_PAIRS = STATUSES.flatMap((from) => STATUSES.map((to) => [from, to] as const));

/** A transition of the right shape for `to` (cancellations need a reason). */
const move = (from: OrderStatus, to: OrderStatus): OrderTransition =>
  to === OrderStatus.CANCELLED ? { from, to, reason: 'OUT_OF_STOCK' } : { from, to };

describe('the order state machine', () => {
  it.each(ALL_PAIRS)('%s → %s is allowed exactly when the life cycle has that step', (from, to) => {
    expect(canTransition(from, to)).toBe(ALLOWED.has(`${from}→${to}`));
  });

  it('has no way out of FULFILLED or CANCELLED', () => {
    expect(ORDER_TRANSITIONS.FULFILLED).toEqual([]);
    expect(ORDER_TRANSITIONS.CANCELLED).toEqual([]);
  });

  it('lists the steps that lead to each status', () => {
    expect(pathTo('PENDING')).toEqual([]);
    expect(pathTo('RESERVED')).toEqual([['PENDING', 'RESERVED']]);
    expect(pathTo('FULFILLED')).toEqual([['PENDING', 'RESERVED'], ['RESERVED', 'PAID'], ['PAID', 'FULFILLED']]);
    expect(pathTo('CANCELLED')).toEqual([['PENDING', 'CANCELLED']]);
    expect(pathTo('CANCELLED', 'RESERVED')).toEqual([['PENDING', 'RESERVED'], ['RESERVED', 'CANCELLED']]);
    expect(() => pathTo('CANCELLED', 'PAID')).toThrow();
  });
});

describe('transitionOrder on the database', () => {
  let subgraph: TestSubgraph;
  let database: ServiceDatabase;
  let prisma: PrismaClient;
  beforeAll(async () => {
    subgraph = await startOrders();
    database = await openDatabase({ target: { kind: 'postgres', url: subgraph.database.url }, migrationsDir: MIGRATIONS_DIR, migrate: false, poolSize: 4 });
    prisma = new PrismaClient({ adapter: database.adapter });
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await database?.close();
    await subgraph?.close();
  });

  async function orderIn(status: OrderStatus) {
    const order = await prisma.order.create({
      data: {
        userId: customer(1).userId,
        status,
        totalCents: 1_000,
        currency: 'EUR',
        shipName: 'Ada Costa',
        shipLine1: '1 Main Street',
        shipCity: 'Berlin',
        shipPostalCode: '10115',
        shipCountry: 'DE',
        idempotencyKey: randomUUID(),
      },
    });
    return order.id;
  }

  const historyOf = (orderId: string) =>
    prisma.orderStatusChange.findMany({ where: { orderId }, select: { fromStatus: true, toStatus: true, reason: true } });

  it.each(ALL_PAIRS.filter(([from, to]) => ALLOWED.has(`${from}→${to}`)))('moves %s → %s and records it', async (from, to) => {
    const id = await orderIn(from);
    const result = await transitionOrder(prisma, id, move(from, to));
    expect(result).toEqual({ ok: true, order: expect.objectContaining({ id, status: to }) });
    const reason = to === OrderStatus.CANCELLED ? 'OUT_OF_STOCK' : null;
    expect(await prisma.order.findUnique({ where: { id }, select: { status: true, cancelReason: true } })).toEqual({ status: to, cancelReason: reason });
    expect(await historyOf(id)).toEqual([{ fromStatus: from, toStatus: to, reason }]);
  });

  it.each(ALL_PAIRS.filter(([from, to]) => !ALLOWED.has(`${from}→${to}`)))('refuses %s → %s and writes nothing', async (from, to) => {
    const id = await orderIn(from);
    expect(await transitionOrder(prisma, id, move(from, to))).toEqual({ ok: false, failure: 'FORBIDDEN' });
    expect((await prisma.order.findUnique({ where: { id } }))?.status).toBe(from);
    expect(await historyOf(id)).toEqual([]);
  });

  it('matches nothing when the order is no longer in the expected status', async () => {
    const id = await orderIn(OrderStatus.RESERVED);
    expect(await transitionOrder(prisma, id, move('PENDING', 'CANCELLED'))).toEqual({ ok: false, failure: 'STALE' });
    expect((await prisma.order.findUnique({ where: { id } }))?.status).toBe('RESERVED');
    expect(await historyOf(id)).toEqual([]);
    expect(await transitionOrder(prisma, randomUUID(), move('PENDING', 'RESERVED'))).toEqual({ ok: false, failure: 'STALE' });
  });

  it('lets exactly one of two concurrent transitions of one order win', async () => {
    for (let round = 0; round < 5; round += 1) {
      const id = await orderIn(OrderStatus.PENDING);
      const results = await Promise.all([transitionOrder(prisma, id, move('PENDING', 'RESERVED')), transitionOrder(prisma, id, move('PENDING', 'CANCELLED'))]);
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, failure: 'STALE' }]);
      const winner = results.find((r) => r.ok);
      const history = await historyOf(id);
      expect(history).toHaveLength(1);
      expect(winner?.ok && winner.order.status).toBe(history[0]?.toStatus);
    }
  });

  it("joins the caller's transaction and is undone with it", async () => {
    const id = await orderIn(OrderStatus.PENDING);
    await expect(
      prisma.$transaction(async (tx) => {
        expect((await transitionOrder(tx, id, move('PENDING', 'RESERVED'))).ok).toBe(true);
        throw new Error('the saga step after it failed');
      }),
    ).rejects.toThrow('the saga step after it failed');
    expect((await prisma.order.findUnique({ where: { id } }))?.status).toBe('PENDING');
    expect(await historyOf(id)).toEqual([]);
  });
});
