import { randomUUID } from 'node:crypto';
import { inputError, InputErrorCode, validateInput, type InputError, type Page } from '@storefront/api-conventions';
import { z } from 'zod';
import { TRANSACTION_OPTIONS, type Cart, type CartItem, type Prisma, type PrismaClient, type Purchasable } from './database.ts';
import { STORE_CURRENCY } from './money.ts';
import { MAX_ORDER_ITEMS, MAX_QUANTITY } from './place-order.ts';

/** A cart can become one order, so it holds no more distinct items than an order may. */
export const MAX_CART_ITEMS = MAX_ORDER_ITEMS;

/** Cart items are listed by purchasable id (the primary key's order), a stable order needing no extra index. */
export const cartItemPosition = z.object({ purchasableId: z.uuid() });
export type CartItemPosition = z.infer<typeof cartItemPosition>;

export type PricedCartItem = CartItem & { purchasable: Purchasable };

export const cartItemPositionOf = (item: CartItem): CartItemPosition => ({ purchasableId: item.purchasableId });

export function cartsByUserIds(prisma: PrismaClient, userIds: readonly string[]): Promise<Cart[]> {
  return prisma.cart.findMany({ where: { userId: { in: [...userIds] } } });
}

/** The same page of items, with today's prices, for many carts in one statement (a lateral join). */
export async function cartItemPagesByCart(
  prisma: PrismaClient,
  cartIds: readonly string[],
  page: Page<CartItemPosition>,
): Promise<Map<string, PricedCartItem[]>> {
  const carts = await prisma.cart.findMany({
    where: { id: { in: [...cartIds] } },
    relationLoadStrategy: 'join',
    select: {
      id: true,
      items: {
        where: page.after ? { purchasableId: { gt: page.after.purchasableId } } : {},
        orderBy: { purchasableId: 'asc' },
        take: page.first + 1,
        include: { purchasable: true },
      },
    },
  });
  return new Map(carts.map((cart) => [cart.id, cart.items]));
}

export interface CartTotals {
  cartId: string;
  units: number;
  totalCents: number;
  currency: string;
}

/**
 * Units and total at today's prices of whole carts (not one page), for many carts in one statement. A cart
 * holds at most MAX_CART_ITEMS lines, so adding them up here is cheaper than another round trip would be.
 */
export async function cartTotalsByCart(prisma: PrismaClient, cartIds: readonly string[]): Promise<CartTotals[]> {
  const lines = await prisma.cartItem.findMany({
    where: { cartId: { in: [...cartIds] } },
    relationLoadStrategy: 'join',
    select: { cartId: true, quantity: true, purchasable: { select: { priceCents: true, currency: true } } },
  });
  const totals = new Map<string, CartTotals>(cartIds.map((cartId) => [cartId, { cartId, units: 0, totalCents: 0, currency: STORE_CURRENCY }]));
  for (const { cartId, quantity, purchasable } of lines) {
    const total = totals.get(cartId);
    if (!total) continue;
    total.units += quantity;
    total.totalCents += quantity * purchasable.priceCents;
    total.currency = purchasable.currency;
  }
  return [...totals.values()];
}

const setCartItemSchema = z.object({
  purchasableId: z.uuid(),
  quantity: z.number().int().min(0).max(MAX_QUANTITY),
});

export interface CartPayload {
  cart: Cart | null;
  errors: InputError[];
}

const refused = (...errors: InputError[]): CartPayload => ({ cart: null, errors });

/**
 * Sets the quantity of one purchasable in the viewer's cart (0 removes it), creating the cart on first use.
 * The cart row stays locked until commit, so concurrent edits of one cart are applied one after another and
 * cannot together exceed MAX_CART_ITEMS.
 */
export async function setCartItem(prisma: PrismaClient, userId: string, input: unknown): Promise<CartPayload> {
  const valid = validateInput(setCartItemSchema, input);
  if (!valid.ok) return refused(...valid.errors);
  const { purchasableId, quantity } = valid.value;
  return prisma.$transaction(async (tx) => {
    if (quantity === 0) return removeItem(tx, userId, purchasableId);
    const purchasable = await tx.purchasable.findUnique({ where: { id: purchasableId } });
    if (!purchasable) return refused(inputError(['input', 'purchasableId'], InputErrorCode.NOT_FOUND, 'The store does not sell this'));
    const cartId = await lockCart(tx, userId);
    const others = await tx.cartItem.findMany({
      where: { cartId, purchasableId: { not: purchasableId } },
      select: { purchasable: { select: { currency: true } } },
    });
    if (others.length >= MAX_CART_ITEMS) {
      return refused(inputError(['input', 'purchasableId'], InputErrorCode.INVALID_STATE, `A cart holds at most ${MAX_CART_ITEMS} different items`));
    }
    const otherCurrency = others.find((item) => item.purchasable.currency !== purchasable.currency)?.purchasable.currency;
    if (otherCurrency) {
      return refused(
        inputError(['input', 'purchasableId'], InputErrorCode.INVALID, `Priced in ${purchasable.currency}, the cart in ${otherCurrency}`),
      );
    }
    await tx.cartItem.upsert({
      where: { cartId_purchasableId: { cartId, purchasableId } },
      create: { cartId, purchasableId, quantity },
      update: { quantity },
    });
    return { cart: await tx.cart.update({ where: { id: cartId }, data: { updatedAt: new Date() } }), errors: [] };
  }, TRANSACTION_OPTIONS);
}

async function removeItem(tx: Prisma.TransactionClient, userId: string, purchasableId: string): Promise<CartPayload> {
  // Locked like any other edit, so a checkout in progress orders the cart as it was when it started.
  await tx.$executeRaw`SELECT 1 FROM carts WHERE user_id = ${userId}::uuid FOR UPDATE`;
  const cart = await tx.cart.findUnique({ where: { userId } });
  if (!cart) return { cart: null, errors: [] };
  const { count } = await tx.cartItem.deleteMany({ where: { cartId: cart.id, purchasableId } });
  return { cart: count ? await tx.cart.update({ where: { id: cart.id }, data: { updatedAt: new Date() } }) : cart, errors: [] };
}

/**
 * The viewer's cart id, creating the cart if needed, with its row locked until commit. INSERT … ON CONFLICT
 * makes the first use race-free (two first edits cannot create two carts), and its no-op update takes the lock.
 */
async function lockCart(tx: Prisma.TransactionClient, userId: string): Promise<string> {
  const [cart] = await tx.$queryRaw<Array<{ id: string }>>`
    INSERT INTO carts (id, user_id, updated_at) VALUES (${randomUUID()}::uuid, ${userId}::uuid, now())
    ON CONFLICT (user_id) DO UPDATE SET user_id = EXCLUDED.user_id
    RETURNING id`;
  if (!cart) throw new Error('INSERT … ON CONFLICT DO UPDATE returned no row');
  return cart.id;
}
