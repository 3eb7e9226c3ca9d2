import { inputError, InputErrorCode, singleLineText, validateInput, type InputError, type Page } from '@storefront/api-conventions';
import { z } from 'zod';
import type { Address, PrismaClient } from './database.ts';

/** Addresses are listed oldest first; the cursor is (createdAt, id). */
export const addressPosition = z.object({ createdAt: z.iso.datetime(), id: z.uuid() });
export type AddressPosition = z.infer<typeof addressPosition>;

export const addressPositionOf = (address: Address): AddressPosition => ({ createdAt: address.createdAt.toISOString(), id: address.id });

/** An address book bigger than this is a bot, not a customer. */
export const MAX_ADDRESSES_PER_USER = 20;

/** The same page of several users' address books in one SQL statement (a lateral join per user). */
export async function addressPagesByUser(
  prisma: PrismaClient,
  userIds: readonly string[],
  page: Page<AddressPosition>,
): Promise<Map<string, Address[]>> {
  const after = page.after;
  const users = await prisma.user.findMany({
    where: { id: { in: [...userIds] } },
    relationLoadStrategy: 'join',
    select: {
      id: true,
      addresses: {
        where: after ? { OR: [{ createdAt: { gt: new Date(after.createdAt) } }, { createdAt: new Date(after.createdAt), id: { gt: after.id } }] } : {},
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take: page.first + 1,
      },
    },
  });
  return new Map(users.map((user) => [user.id, user.addresses]));
}

export function defaultAddressesOf(prisma: PrismaClient, userIds: readonly string[]): Promise<Address[]> {
  return prisma.address.findMany({ where: { userId: { in: [...userIds] }, isDefault: true } });
}

const addressSchema = z.object({
  label: singleLineText().trim().min(1).max(40),
  line1: singleLineText().trim().min(1).max(200),
  line2: singleLineText().trim().max(200).nullish(),
  city: singleLineText().trim().min(1).max(100),
  postalCode: singleLineText().trim().min(2).max(16).regex(/^[A-Za-z0-9 -]+$/, 'Letters, digits, spaces and dashes only'),
  country: z.string().regex(/^[A-Z]{2}$/, 'Use an ISO 3166-1 alpha-2 code such as DE'),
  makeDefault: z.boolean().nullish(),
});

export type AddressPayload = { address: Address | null; userId: string | null; errors: InputError[] };

/**
 * Adds an address; the user's first address, or one added with makeDefault, becomes the only default. The
 * user's row is locked for the transaction so concurrent additions cannot exceed the limit or leave two defaults.
 */
export async function addAddress(prisma: PrismaClient, userId: string, input: unknown): Promise<AddressPayload> {
  const valid = validateInput(addressSchema, input);
  if (!valid.ok) return { address: null, userId, errors: valid.errors };
  const { makeDefault, line2, ...fields } = valid.value;
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT 1 FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
    const count = await tx.address.count({ where: { userId } });
    if (count >= MAX_ADDRESSES_PER_USER) {
      return { address: null, userId, errors: [inputError(['input'], InputErrorCode.INVALID_STATE, `At most ${MAX_ADDRESSES_PER_USER} addresses`)] };
    }
    const isDefault = count === 0 || makeDefault === true;
    if (isDefault) await tx.address.updateMany({ where: { userId, isDefault: true }, data: { isDefault: false } });
    const address = await tx.address.create({ data: { ...fields, line2: line2 ?? null, userId, isDefault } });
    return { address, userId, errors: [] };
  });
}

/** Removes one of the user's addresses; when it was the default, the oldest remaining one takes over. */
export async function removeAddress(prisma: PrismaClient, userId: string, id: string): Promise<AddressPayload> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT 1 FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
    const address = await tx.address.findFirst({ where: { id, userId } });
    // Someone else's address is reported exactly like a missing one: ids reveal nothing.
    if (!address) return { address: null, userId, errors: [inputError(['id'], InputErrorCode.NOT_FOUND, 'No such address')] };
    await tx.address.delete({ where: { id } });
    if (address.isDefault) {
      const next = await tx.address.findFirst({ where: { userId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
      if (next) await tx.address.update({ where: { id: next.id }, data: { isDefault: true } });
    }
    return { address: { ...address, isDefault: false }, userId, errors: [] };
  });
}
