/**
 * A response path as a linked list: walking a response extends it by one cell per step without copying, and
 * it becomes an array only when an error needs it (rarely), instead of an array allocated per field.
 */
export interface PathCell {
  readonly prev: PathCell | undefined;
  readonly key: string | number;
}

export type Path = PathCell | undefined;

export function extendPath(prev: Path, key: string | number): PathCell {
  return { prev, key };
}

export function pathToArray(path: Path): Array<string | number> {
  const keys: Array<string | number> = [];
  for (let cell = path; cell; cell = cell.prev) keys.push(cell.key);
  return keys.reverse();
}

/** Whether `prefix` is a prefix of (or equal to) `path`. */
export function isPathPrefix(prefix: ReadonlyArray<string | number>, path: ReadonlyArray<string | number>): boolean {
  if (prefix.length > path.length) return false;
  for (let index = 0; index < prefix.length; index += 1) if (prefix[index] !== path[index]) return false;
  return true;
}
