import DataLoader from 'dataloader';

/** Orders `rows` to match `keys` (DataLoader's contract), null where a key has no row. */
export function orderByKeys<Row, Key>(keys: readonly Key[], rows: readonly Row[], keyOf: (row: Row) => Key): (Row | null)[] {
  const index = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => index.get(key) ?? null);
}

/** A loader of rows by a unique column: one `WHERE column IN (…)` per tick. */
export function uniqueLoader<Key, Row>(
  fetch: (keys: readonly Key[]) => Promise<readonly Row[]>,
  keyOf: (row: Row) => Key,
): DataLoader<Key, Row | null> {
  return new DataLoader<Key, Row | null>(async (keys) => orderByKeys(keys, await fetch(keys), keyOf));
}

/**
 * Loaders for a paginated relation (e.g. a category's products): parents asking for the same page arguments
 * are batched together into one query; different arguments (rare within one request) get their own batch.
 */
export function pagedRelationLoader<Args, ParentKey, Row>(
  fetch: (parentKeys: readonly ParentKey[], args: Args) => Promise<Map<ParentKey, Row[]>>,
): (args: Args) => DataLoader<ParentKey, Row[]> {
  const loaders = new Map<string, DataLoader<ParentKey, Row[]>>();
  return (args) => {
    const key = JSON.stringify(args);
    let loader = loaders.get(key);
    if (!loader) {
      loader = new DataLoader<ParentKey, Row[]>(async (parents) => {
        const pages = await fetch(parents, args);
        return parents.map((parent) => pages.get(parent) ?? []);
      });
      loaders.set(key, loader);
    }
    return loader;
  };
}
