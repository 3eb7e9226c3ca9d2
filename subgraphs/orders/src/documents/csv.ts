/*
 * CSV as RFC 4180 describes it: comma-separated, CRLF line ends, a field quoted when it holds a comma, a
 * quote, CR or LF, with its quotes doubled. Fields a spreadsheet would run as a formula (starting with
 * = + - @, tab or CR) are prefixed with a single quote (OWASP's CSV injection advice); numbers (and decimal
 * strings such as -12.50) are left as they are.
 */

export type CsvValue = string | number | null;

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;
const NUMBER = /^-?\d+(\.\d+)?$/;

export function csvField(value: CsvValue): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const safe = FORMULA_START.test(value) && !NUMBER.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function csvRow(values: readonly CsvValue[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
