/** A warehouse's stock of one product as the allocator sees it (already locked by the caller). */
export interface AvailableStock {
  productId: string;
  warehouseId: string;
  available: number;
}

export interface RequestedItem {
  productId: string;
  quantity: number;
}

/** Units of one product to take from one warehouse. */
export interface Allocation {
  productId: string;
  warehouseId: string;
  quantity: number;
}

/** An item that cannot be filled: its index in the request and what all warehouses together have. */
export interface Shortage {
  index: number;
  available: number;
}

export type AllocationResult = { ok: true; allocations: Allocation[] } | { ok: false; shortages: Shortage[] };

/**
 * Decides where each item's units come from, all items or none: each product is taken from the warehouse with
 * the most available first, then the next (ties by warehouse id, so the choice is deterministic), splitting an
 * item across warehouses only when no single one has enough left after the bigger ones. Fewer parcels would
 * need a smarter search; filling from the fullest shelves first keeps stock spread evenly.
 */
export function allocate(items: readonly RequestedItem[], stock: readonly AvailableStock[]): AllocationResult {
  const byProduct = new Map<string, AvailableStock[]>();
  for (const level of stock) {
    if (level.available <= 0) continue;
    const levels = byProduct.get(level.productId);
    if (levels) levels.push(level);
    else byProduct.set(level.productId, [level]);
  }
  const allocations: Allocation[] = [];
  const shortages: Shortage[] = [];
  items.forEach((item, index) => {
    const levels = [...(byProduct.get(item.productId) ?? [])].sort(
      (a, b) => b.available - a.available || (a.warehouseId < b.warehouseId ? -1 : a.warehouseId > b.warehouseId ? 1 : 0),
    );
    const total = levels.reduce((sum, level) => sum + level.available, 0);
    if (total < item.quantity) {
      shortages.push({ index, available: total });
      return;
    }
    let missing = item.quantity;
    for (const level of levels) {
      if (missing === 0) break;
      const take = Math.min(missing, level.available);
      allocations.push({ productId: item.productId, warehouseId: level.warehouseId, quantity: take });
      missing -= take;
    }
  });
  return shortages.length ? { ok: false, shortages } : { ok: true, allocations };
}
