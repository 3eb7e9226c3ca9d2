/** Money is integer minor units with an ISO currency, as every subgraph answers it. */
export interface MoneyValue {
  amount: number;
  currency: string;
}

const formats = new Map<string, Intl.NumberFormat>();

export function formatMoney(money: MoneyValue, locale = 'en-GB'): string {
  const key = `${locale}:${money.currency}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency: money.currency });
    formats.set(key, format);
  }
  return format.format(money.amount / 100);
}

/** Major units typed by a person ("12.50") to minor units (1250); undefined for anything else. */
export function parseMajorUnits(text: string): number | undefined {
  const trimmed = text.trim().replace(',', '.');
  if (!/^\d+(\.\d{1,2})?$/.test(trimmed)) return undefined;
  return Math.round(Number(trimmed) * 100);
}
