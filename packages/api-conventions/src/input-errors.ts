import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { containsNul, pathsOfStrings, singleLineText } from './text-input.ts';

/**
 * Why an input field was refused. Part of the public API (the `InputErrorCode` enum every subgraph declares):
 * forms branch on these, so add codes, never rename them.
 */
export const InputErrorCode = {
  REQUIRED: 'REQUIRED',
  INVALID: 'INVALID',
  TOO_SHORT: 'TOO_SHORT',
  TOO_LONG: 'TOO_LONG',
  TOO_SMALL: 'TOO_SMALL',
  TOO_BIG: 'TOO_BIG',
  NOT_FOUND: 'NOT_FOUND',
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  INVALID_STATE: 'INVALID_STATE',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  OUT_OF_STOCK: 'OUT_OF_STOCK',
  NOT_PURCHASED: 'NOT_PURCHASED',
  /**
   * The text holds characters no field accepts: NUL or another control character (tabs and line breaks are
   * accepted only by multi-line fields such as descriptions and review bodies).
   */
  INVALID_CHARACTERS: 'INVALID_CHARACTERS',
} as const;

export type InputErrorCode = (typeof InputErrorCode)[keyof typeof InputErrorCode];

/** One refused input field, as mutation payloads return it: `{ path: ["input", "items", "0", "quantity"] }`. */
export interface InputError {
  path: string[];
  message: string;
  code: InputErrorCode;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: InputError[] };

export function inputError(path: readonly (string | number)[], code: InputErrorCode, message: string): InputError {
  return { path: path.map(String), code, message };
}

function codeOf(issue: z.core.$ZodIssue, value: unknown): InputErrorCode {
  const custom = (issue as { params?: { code?: unknown } }).params?.code;
  if (typeof custom === 'string' && custom in InputErrorCode) return custom as InputErrorCode;
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined || value === null ? InputErrorCode.REQUIRED : InputErrorCode.INVALID;
    case 'too_small':
      return issue.origin === 'string' || issue.origin === 'array' ? InputErrorCode.TOO_SHORT : InputErrorCode.TOO_SMALL;
    case 'too_big':
      return issue.origin === 'string' || issue.origin === 'array' ? InputErrorCode.TOO_LONG : InputErrorCode.TOO_BIG;
    default:
      return InputErrorCode.INVALID;
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/**
 * Validates a mutation's input with zod and turns every problem into an InputError under `prefix` (the
 * argument's name), so one round trip reports all of a form's mistakes.
 *
 * Every string in the input is checked for NUL first, whatever the schema says: Postgres refuses NUL in text
 * with a 500, so such a field is INVALID_CHARACTERS and never reaches a query. Which other control characters
 * a field refuses is its schema's business (singleLineText(), multiLineText()): a password, say, is not text
 * to be shown, and refusing its tabs now would lock out whoever chose one.
 */
export function validateInput<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  prefix: readonly string[] = ['input'],
): Validated<z.infer<Schema>> {
  const refusedText = pathsOfStrings(value, containsNul);
  const parsed = schema.safeParse(value);
  if (parsed.success && !refusedText.length) return { ok: true, value: parsed.data };
  const textErrors = refusedText.map((path) =>
    inputError([...prefix, ...path], InputErrorCode.INVALID_CHARACTERS, 'Remove the NUL characters from this text'),
  );
  // A field already refused for its characters is not also reported for what the schema thinks of them.
  const refusedPaths = new Set(textErrors.map((error) => error.path.join('.')));
  const schemaErrors = (parsed.error?.issues ?? [])
    .map((issue) => inputError([...prefix, ...issue.path.map(String)], codeOf(issue, valueAt(value, issue.path)), issue.message))
    .filter((error) => !refusedPaths.has(error.path.join('.')));
  return { ok: false, errors: [...textErrors, ...schemaErrors] };
}

/** Clients make up idempotency keys (a UUID is ideal); anything printable of a sane length is accepted. */
export const idempotencyKeySchema = singleLineText().trim().min(8).max(128).regex(/^[\x21-\x7e]+$/, 'Use printable ASCII without spaces');

/**
 * A stable hash of a request's meaningful input, stored beside an idempotency key: a retry with the same key
 * and the same input gets the first result; the same key with different input is refused.
 */
export function requestFingerprint(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
