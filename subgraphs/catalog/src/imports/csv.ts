/** One CSV record and the physical line it starts on (1-based), so row errors can name the line in the file. */
export interface CsvRecord {
  line: number;
  fields: string[];
  /** Set when the record is malformed (a quote left open at the end of the file). */
  error?: string;
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/**
 * An incremental RFC 4180 parser: text goes in piece by piece (pieces may split a record, a quoted field or a
 * CRLF anywhere), complete records come out. Quoted fields may hold commas, doubled quotes and line breaks,
 * which is why a record's line is tracked rather than counted from records. Blank lines are skipped.
 */
export class CsvParser {
  private fields: string[] = [];
  private field = '';
  private quoted = false;
  /** Inside quotes; a quote seen there may be the end of the field or the first half of an escaped quote. */
  private inQuotes = false;
  private quotePending = false;
  private afterCr = false;
  private line = 1;
  private recordLine = 1;

  push(text: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    let plainFrom = -1;
    const flushPlain = (end: number) => {
      if (plainFrom >= 0) {
        this.field += text.slice(plainFrom, end);
        plainFrom = -1;
      }
    };
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.afterCr) {
        this.afterCr = false;
        // CRLF is one line break: the CR already ended the record and counted the line.
        if (c === LF) continue;
      }
      if (this.inQuotes) {
        if (this.quotePending) {
          this.quotePending = false;
          if (c === QUOTE) {
            this.field += '"';
            continue;
          }
          this.inQuotes = false;
          // Fall through: this character follows the closing quote.
        } else if (c === QUOTE) {
          flushPlain(i);
          this.quotePending = true;
          continue;
        } else {
          if (plainFrom < 0) plainFrom = i;
          // A line break inside quotes is data, but the next record still starts on a later line of the file.
          if (c === LF) this.line += 1;
          continue;
        }
      }
      if (c === COMMA) {
        flushPlain(i);
        this.endField();
      } else if (c === LF || c === CR) {
        flushPlain(i);
        const record = this.endRecord();
        if (record) out.push(record);
        this.line += 1;
        this.recordLine = this.line;
        if (c === CR) this.afterCr = true;
      } else if (c === QUOTE && this.field === '' && !this.quoted && plainFrom < 0) {
        this.quoted = true;
        this.inQuotes = true;
      } else if (plainFrom < 0) {
        plainFrom = i;
      }
    }
    flushPlain(text.length);
    return out;
  }

  /** The last record when the text does not end with a line break; an open quote makes it an error. */
  end(): CsvRecord[] {
    const open = this.inQuotes && !this.quotePending;
    this.inQuotes = false;
    this.quotePending = false;
    const record = this.endRecord();
    if (!record) return [];
    return open ? [{ ...record, error: 'A quoted field is not closed before the end of the file' }] : [record];
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.quoted = false;
  }

  private endRecord(): CsvRecord | undefined {
    const blank = this.fields.length === 0 && this.field === '' && !this.quoted;
    this.endField();
    const fields = this.fields;
    this.fields = [];
    return blank ? undefined : { line: this.recordLine, fields };
  }
}

/** Parses a stream of UTF-8 bytes (split anywhere, even inside a character) into records. */
export async function* csvRecords(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<CsvRecord> {
  const decoder = new TextDecoder('utf-8');
  const parser = new CsvParser();
  let first = true;
  for await (const piece of bytes) {
    let text = decoder.decode(piece, { stream: true });
    // Spreadsheet exports often start with a byte order mark; it is not part of the first column's name.
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    yield* parser.push(text);
  }
  yield* parser.push(decoder.decode());
  yield* parser.end();
}
