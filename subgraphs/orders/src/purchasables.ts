import type { Db, Purchasable } from './database.ts';

/*
 * The price replica. Orders must price a checkout without calling catalog (a synchronous call would make
 * placing an order depend on catalog being up), so it keeps its own copy of each purchasable's kind and
 * current price in `purchasables`. The seed fills it from the shared seed world; from the next milestone on,
 * catalog's product and gift-card events keep it current (upsert on created/price-changed, delete on removed,
 * ordered by `updated_at` so a late event never overwrites a newer price). Orders copy the price into their
 * items when placed, so later replica updates never change a placed order.
 */

export function purchasablesByIds(db: Db, ids: readonly string[]): Promise<Purchasable[]> {
  return db.purchasable.findMany({ where: { id: { in: [...ids] } } });
}
