import { estimateShipping, parseCountry, shippedProductOf, zoneOf, type ShippedProduct } from './shipping.ts';

const product = (overrides: Partial<ShippedProduct> = {}): ShippedProduct => ({
  weightGrams: 1_000,
  shippingClass: 'STANDARD',
  price: { amount: 2_000, currency: 'EUR' },
  ...overrides,
});

describe('the shipping tariff', () => {
  it('sorts destinations into domestic, EU and world zones', () => {
    expect(zoneOf('DE')).toBe('DOMESTIC');
    expect(['FR', 'NL', 'PL', 'AT'].map(zoneOf)).toEqual(['EU', 'EU', 'EU', 'EU']);
    expect(['CH', 'GB', 'US', 'NO'].map(zoneOf)).toEqual(['WORLD', 'WORLD', 'WORLD', 'WORLD']);
  });

  it('charges the zone base price for a light standard parcel', () => {
    expect(estimateShipping(product(), 'DE')).toEqual({ cost: { amount: 495, currency: 'EUR' }, carrier: 'DHL Paket', minDays: 1, maxDays: 2 });
    expect(estimateShipping(product(), 'FR')).toEqual({ cost: { amount: 995, currency: 'EUR' }, carrier: 'DPD Europe', minDays: 2, maxDays: 5 });
    expect(estimateShipping(product(), 'US')).toEqual({ cost: { amount: 1_995, currency: 'EUR' }, carrier: 'UPS Worldwide', minDays: 5, maxDays: 10 });
  });

  it('adds each started kilogram above 2 kg', () => {
    expect(estimateShipping(product({ weightGrams: 2_000 }), 'DE').cost.amount).toBe(495);
    expect(estimateShipping(product({ weightGrams: 2_001 }), 'DE').cost.amount).toBe(545);
    expect(estimateShipping(product({ weightGrams: 5_500 }), 'FR').cost.amount).toBe(995 + 4 * 100);
    expect(estimateShipping(product({ weightGrams: 5_500 }), 'JP').cost.amount).toBe(1_995 + 4 * 300);
  });

  it('ships standard parcels within Germany free from €50.00, and only those', () => {
    expect(estimateShipping(product({ price: { amount: 4_999, currency: 'EUR' } }), 'DE').cost.amount).toBe(495);
    expect(estimateShipping(product({ price: { amount: 5_000, currency: 'EUR' } }), 'DE').cost.amount).toBe(0);
    expect(estimateShipping(product({ price: { amount: 90_000, currency: 'EUR' }, weightGrams: 9_000 }), 'DE').cost.amount).toBe(0);
    expect(estimateShipping(product({ price: { amount: 5_000, currency: 'EUR' } }), 'AT').cost.amount).toBe(995);
    expect(estimateShipping(product({ price: { amount: 5_000, currency: 'USD' } }), 'DE').cost.amount).toBe(495);
    expect(estimateShipping(product({ price: { amount: 5_000, currency: 'EUR' }, shippingClass: 'FRAGILE' }), 'DE').cost.amount).toBe(795);
  });

  it('sends bulky goods by freight with a surcharge and takes longer', () => {
    const bulky = product({ shippingClass: 'BULKY', weightGrams: 25_000, price: { amount: 80_000, currency: 'EUR' } });
    expect(estimateShipping(bulky, 'DE')).toEqual({ cost: { amount: 495 + 23 * 50 + 2_500, currency: 'EUR' }, carrier: 'DB Schenker', minDays: 3, maxDays: 5 });
    expect(estimateShipping(bulky, 'PL')).toEqual({ cost: { amount: 995 + 23 * 100 + 4_500, currency: 'EUR' }, carrier: 'DB Schenker', minDays: 5, maxDays: 8 });
    expect(estimateShipping(bulky, 'BR')).toEqual({ cost: { amount: 1_995 + 23 * 300 + 9_900, currency: 'EUR' }, carrier: 'Kuehne+Nagel', minDays: 10, maxDays: 20 });
  });

  it('handles fragile goods for a surcharge and one more day at most', () => {
    expect(estimateShipping(product({ shippingClass: 'FRAGILE' }), 'FR')).toEqual({ cost: { amount: 1_295, currency: 'EUR' }, carrier: 'DPD Europe', minDays: 2, maxDays: 6 });
  });
});

describe('reading the request', () => {
  it('accepts ISO 3166-1 alpha-2 codes in any case and refuses anything else as BAD_USER_INPUT', () => {
    expect(parseCountry('de')).toBe('DE');
    expect(parseCountry(' FR ')).toBe('FR');
    for (const bad of ['', 'D', 'DEU', 'XX', 'EU', '12']) {
      expect(() => parseCountry(bad)).toThrow(expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', argument: 'country' } }));
    }
  });

  it('reads the @requires fields from a representation and fails loudly without them', () => {
    const representation = { __typename: 'Product', id: 'x', weightGrams: 300, shippingClass: 'FRAGILE', price: { amount: 999, currency: 'EUR' } };
    expect(shippedProductOf(representation)).toEqual({ weightGrams: 300, shippingClass: 'FRAGILE', price: { amount: 999, currency: 'EUR' } });
    expect(() => shippedProductOf({ __typename: 'Product', id: 'x' })).toThrow(/@requires/);
    expect(() => shippedProductOf({ ...representation, shippingClass: 'HEAVY' })).toThrow(/@requires/);
  });
});
