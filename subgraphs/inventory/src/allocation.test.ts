import { allocate } from './allocation.ts';

const P1 = '00000000-0000-4000-8000-000000000001';
const P2 = '00000000-0000-4000-8000-000000000002';
const WA = '00000000-0000-4000-8000-00000000000a';
const WB = '00000000-0000-4000-8000-00000000000b';
const WC = '00000000-0000-4000-8000-00000000000c';

describe('allocating a reservation', () => {
  const stock = [
    { productId: P1, warehouseId: WA, available: 3 },
    { productId: P1, warehouseId: WB, available: 7 },
    { productId: P1, warehouseId: WC, available: 0 },
    { productId: P2, warehouseId: WA, available: 4 },
    { productId: P2, warehouseId: WB, available: 4 },
  ];

  it('takes each product from the warehouse with the most available', () => {
    expect(allocate([{ productId: P1, quantity: 5 }], stock)).toEqual({ ok: true, allocations: [{ productId: P1, warehouseId: WB, quantity: 5 }] });
  });

  it('splits across warehouses when the fullest one has too few, breaking ties by warehouse id', () => {
    expect(allocate([{ productId: P1, quantity: 9 }, { productId: P2, quantity: 6 }], stock)).toEqual({
      ok: true,
      allocations: [
        { productId: P1, warehouseId: WB, quantity: 7 },
        { productId: P1, warehouseId: WA, quantity: 2 },
        { productId: P2, warehouseId: WA, quantity: 4 },
        { productId: P2, warehouseId: WB, quantity: 2 },
      ],
    });
  });

  it('allocates nothing when any item is short, naming every short item and what there is', () => {
    const unknown = '00000000-0000-4000-8000-000000000009';
    expect(allocate([{ productId: P1, quantity: 10 }, { productId: P2, quantity: 9 }, { productId: unknown, quantity: 1 }], stock)).toEqual({
      ok: false,
      shortages: [
        { index: 1, available: 8 },
        { index: 2, available: 0 },
      ],
    });
  });
});
