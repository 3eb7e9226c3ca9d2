import { clampQuantity, summarizeCart } from './cart.ts';

const eur = (amount: number) => ({ amount, currency: 'EUR' });

describe('cart totals', () => {
  it('counts items and takes the server total when the lines add up to it', () => {
    const lines = [
      { quantity: 2, unitPrice: eur(1250), lineTotal: eur(2500) },
      { quantity: 1, unitPrice: eur(999), lineTotal: eur(999) },
    ];
    expect(summarizeCart(lines, eur(3499))).toEqual({ itemCount: 3, subtotal: eur(3499), consistent: true });
  });

  it('notices lines that do not add up (a price changed since the page loaded)', () => {
    const lines = [{ quantity: 2, unitPrice: eur(1250), lineTotal: eur(2500) }];
    expect(summarizeCart(lines, eur(2600)).consistent).toBe(false);
    expect(summarizeCart([{ quantity: 2, unitPrice: eur(1300), lineTotal: eur(2500) }], eur(2500)).consistent).toBe(false);
  });

  it('keeps quantities whole and between 0 and 99', () => {
    expect([clampQuantity(-1), clampQuantity(3.7), clampQuantity(150), clampQuantity(Number.NaN)]).toEqual([0, 3, 99, 0]);
  });
});
