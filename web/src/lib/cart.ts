import type { MoneyValue } from './money.ts';

export interface CartLine {
  quantity: number;
  unitPrice: MoneyValue;
  lineTotal: MoneyValue;
}

export interface CartSummary {
  itemCount: number;
  subtotal: MoneyValue;
  /** Whether the server's total agrees with its lines (a price changed while the page was open, or lines are missing). */
  consistent: boolean;
}

/**
 * What the cart page shows under its lines. The server's total is the truth (orders prices the cart); the lines
 * are summed only to notice when the page shows lines that do not add up to it, e.g. after a price change.
 */
export function summarizeCart(lines: readonly CartLine[], serverTotal: MoneyValue): CartSummary {
  const itemCount = lines.reduce((sum, line) => sum + line.quantity, 0);
  const sum = lines.reduce((total, line) => total + line.lineTotal.amount, 0);
  const mixed = lines.some((line) => line.lineTotal.currency !== serverTotal.currency);
  const linesAgree = lines.every((line) => line.lineTotal.amount === line.unitPrice.amount * line.quantity);
  return { itemCount, subtotal: serverTotal, consistent: !mixed && linesAgree && sum === serverTotal.amount };
}

/** The quantity a cart line may be set to: whole, 0 (remove) to 99. */
export function clampQuantity(value: number): number {
  if (!Number.isFinite(value)) return 0;
  return Math.min(99, Math.max(0, Math.trunc(value)));
}
