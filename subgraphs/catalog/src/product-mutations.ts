import { inputError, InputErrorCode, multiLineText, singleLineText, validateInput, type InputError } from '@storefront/api-conventions';
import { z } from 'zod';
import type { PrismaClient, Product } from './database.ts';

export type ProductPayload = { product: Product | null; errors: InputError[] };

const SHIPPING_CLASSES = ['STANDARD', 'BULKY', 'FRAGILE'] as const;

const productFields = {
  name: singleLineText().trim().min(1).max(200),
  description: multiLineText().max(5_000),
  priceAmount: z.number().int().min(0).max(100_000_000),
  categoryId: z.uuid(),
  weightGrams: z.number().int().min(1).max(1_000_000),
};

const createSchema = z.object({
  ...productFields,
  sku: singleLineText().trim().regex(/^[A-Z0-9][A-Z0-9-]{2,31}$/, 'Use 3–32 capital letters, digits and dashes'),
  currency: singleLineText().regex(/^[A-Z]{3}$/, 'Use an ISO 4217 code such as EUR'),
  shippingClass: z.enum(SHIPPING_CLASSES),
});

// GraphQL sends null for fields the client left out; null means "unchanged" here, never "erase".
const updateSchema = z.object(
  Object.fromEntries(Object.entries(productFields).map(([key, schema]) => [key, schema.nullish()])) as {
    [K in keyof typeof productFields]: z.ZodOptional<z.ZodNullable<(typeof productFields)[K]>>;
  },
);

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === 'P2002';

async function categoryExists(prisma: PrismaClient, id: string): Promise<boolean> {
  return (await prisma.category.count({ where: { id } })) > 0;
}

export async function createProduct(prisma: PrismaClient, input: unknown): Promise<ProductPayload> {
  const valid = validateInput(createSchema, input);
  if (!valid.ok) return { product: null, errors: valid.errors };
  const { priceAmount, ...fields } = valid.value;
  if (!(await categoryExists(prisma, fields.categoryId))) {
    return { product: null, errors: [inputError(['input', 'categoryId'], InputErrorCode.NOT_FOUND, 'No such category')] };
  }
  try {
    return { product: await prisma.product.create({ data: { ...fields, priceCents: priceAmount } }), errors: [] };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return { product: null, errors: [inputError(['input', 'sku'], InputErrorCode.ALREADY_EXISTS, 'A product with this SKU exists')] };
  }
}

export async function updateProduct(prisma: PrismaClient, id: string, input: unknown): Promise<ProductPayload> {
  const valid = validateInput(updateSchema, input);
  if (!valid.ok) return { product: null, errors: valid.errors };
  const { priceAmount, ...rest } = valid.value;
  const changes = Object.fromEntries(Object.entries({ ...rest, priceCents: priceAmount }).filter(([, v]) => v != null));
  if (changes.categoryId && !(await categoryExists(prisma, String(changes.categoryId)))) {
    return { product: null, errors: [inputError(['input', 'categoryId'], InputErrorCode.NOT_FOUND, 'No such category')] };
  }
  const { count } = await prisma.product.updateMany({ where: { id }, data: changes });
  if (count === 0) return { product: null, errors: [inputError(['id'], InputErrorCode.NOT_FOUND, 'No such product')] };
  return { product: await prisma.product.findUnique({ where: { id } }), errors: [] };
}
