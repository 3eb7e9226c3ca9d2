import { z } from 'zod';
import type { InputErrorCode } from './input-errors.ts';

/*
 * What text a client may send. Postgres refuses NUL (U+0000) in text columns, so a NUL that reaches a query
 * is a 500; the other control characters are never typed into a form and only ever garble what is shown
 * later (terminal escapes in an admin's log view, invisible characters in names). Multi-line fields keep
 * tabs and line breaks.
 */

/** C0 controls, DEL and C1 controls: what no text field accepts, apart from tab, LF and CR in multi-line ones. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_CHARACTERS_BUT_TAB_AND_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

export interface TextRules {
  /** Tabs and line breaks (\t \n \r) are allowed: descriptions, review bodies. Default false. */
  multiline?: boolean;
}

export function hasControlCharacters(value: string, { multiline = false }: TextRules = {}): boolean {
  return (multiline ? CONTROL_CHARACTERS_BUT_TAB_AND_LINE_BREAKS : CONTROL_CHARACTERS).test(value);
}

/** The InputErrorCode of refused characters (input-errors.ts imports this module, so it is spelled out here). */
const INVALID_CHARACTERS = 'INVALID_CHARACTERS' satisfies InputErrorCode;

/**
 * A string of one line of text: names, titles, address lines, reasons, codes. Chain `.trim().min(…).max(…)`
 * as with z.string(); a refused character is reported alone (code INVALID_CHARACTERS), not with the length.
 */
export const singleLineText = (message = 'Use one line of text without control characters') =>
  z.string().refine((value) => !hasControlCharacters(value), {
    message,
    params: { code: INVALID_CHARACTERS },
    abort: true,
  });

/** A string that may span lines (tabs, \n, \r allowed), e.g. a product description or a review body. */
export const multiLineText = (message = 'Remove the control characters (such as NUL) from this text') =>
  z.string().refine((value) => !hasControlCharacters(value, { multiline: true }), {
    message,
    params: { code: INVALID_CHARACTERS },
    abort: true,
  });

/**
 * A user's text as a literal for Prisma's `contains`/`startsWith`/`endsWith`: Prisma puts it inside a LIKE
 * pattern as it is, so `%` would match everything and `_` any character. Backslash is Postgres' default LIKE
 * escape character.
 */
export function escapeLikeWildcards(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

type Path = (string | number)[];

/**
 * The paths of the strings inside a JSON-like value (`[]` for the value itself) for which `test` holds, at most
 * `limit` of them. Variables can hold large lists: a path is only built for a string that matches.
 */
export function pathsOfStrings(value: unknown, test: (text: string) => boolean, limit = Number.POSITIVE_INFINITY): Path[] {
  const found: Path[] = [];
  const path: Path = [];
  const walk = (node: unknown): void => {
    if (found.length >= limit) return;
    if (typeof node === 'string') {
      if (test(node)) found.push([...path]);
    } else if (Array.isArray(node)) {
      node.forEach((item, index) => {
        path.push(index);
        walk(item);
        path.pop();
      });
    } else if (node !== null && typeof node === 'object') {
      for (const [key, item] of Object.entries(node)) {
        path.push(key);
        walk(item);
        path.pop();
      }
    }
  };
  walk(value);
  return found;
}

export const containsNul = (text: string): boolean => text.includes('\u0000');
