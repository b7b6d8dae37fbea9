/**
 * A small RFC 4180 CSV reader and writer.
 *
 * Reading rules:
 * - fields may be quoted with `"`; inside quotes, `""` is a literal quote and commas, CR, LF and
 *   CRLF are data;
 * - records end at CRLF, LF or a lone CR;
 * - a leading UTF-8 byte order mark is dropped;
 * - the first record is the header; blank lines are ignored;
 * - `row` is the 1-based physical line on which a record starts (the header line is row 1 in an
 *   ordinary file), so a user can find it in an editor even when earlier records span lines;
 * - a record whose cell count differs from the header's is reported and skipped;
 * - a quote that is never closed is reported (not thrown); the reader then resumes on the line
 *   after the one where that quote opened, so the rest of the file still loads;
 * - outside the strict grammar the reader is lenient: a `"` inside an unquoted field is data, and
 *   text after a closing quote is appended to the field.
 */
import type { RowIssue } from '../types.ts';

export interface CsvRecord {
  /** 1-based line number on which the record starts. */
  row: number;
  cells: string[];
}

export interface CsvParseResult {
  header: string[];
  rows: CsvRecord[];
  issues: RowIssue[];
}

const QUOTE = 34; // "
const CR = 13;
const LF = 10;

interface RawRecord {
  line: number;
  cells: string[];
  /** True for a physical line with nothing on it (not even `""`). */
  blank: boolean;
}

/** Count line breaks (CRLF, CR, LF each count once) in text[from, to). */
function countLineBreaks(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) n++;
    else if (c === CR) {
      n++;
      if (i + 1 < to && text.charCodeAt(i + 1) === LF) i++;
    }
  }
  return n;
}

/** Index just past the first line break at or after `from`, or text.length when there is none. */
function afterNextLineBreak(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) return i + 1;
    if (c === CR) return i + 1 < text.length && text.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
  }
  return text.length;
}

function readRecords(text: string, delimiter: number): { records: RawRecord[]; issues: RowIssue[] } {
  const records: RawRecord[] = [];
  const issues: RowIssue[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;

  recordLoop: while (i < n) {
    const startLine = line;
    const cells: string[] = [];
    let sawQuote = false;

    for (;;) {
      // At the start of a field.
      let field = '';
      if (i < n && text.charCodeAt(i) === QUOTE) {
        sawQuote = true;
        const openPos = i;
        const openLine = line;
        i++;
        let closed = false;
        while (i < n) {
          const q = text.indexOf('"', i);
          if (q < 0) break;
          field += text.slice(i, q);
          if (q + 1 < n && text.charCodeAt(q + 1) === QUOTE) {
            field += '"';
            i = q + 2;
            continue;
          }
          i = q + 1;
          closed = true;
          break;
        }
        if (!closed) {
          issues.push({
            row: startLine,
            reason:
              openLine === startLine
                ? `unterminated quoted field (quote opened on line ${openLine} never closes); record skipped`
                : `unterminated quoted field (quote opened on line ${openLine} never closes); record starting on line ${startLine} skipped`,
          });
          // Resume on the line after the opening quote's line.
          i = afterNextLineBreak(text, openPos);
          line = openLine + 1;
          continue recordLoop;
        }
        line += countLineBreaks(text, openPos, i);
      }
      // Unquoted part (the whole field, or lenient trailing text after a closing quote).
      const start = i;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === delimiter || c === CR || c === LF) break;
        i++;
      }
      if (i > start) field += text.slice(start, i);
      cells.push(field);

      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === delimiter) {
        i++;
        if (i >= n) {
          // "a,b," at end of input: the record ends with an empty field.
          cells.push('');
          break;
        }
        continue;
      }
      // Line break ends the record.
      i += c === CR && i + 1 < n && text.charCodeAt(i + 1) === LF ? 2 : 1;
      line++;
      break;
    }

    const blank = !sawQuote && cells.length === 1 && cells[0] === '';
    records.push({ line: startLine, cells, blank });
  }
  return { records, issues };
}

/** Parse CSV text. Never throws on malformed input: problems come back as `issues`. */
export function parseCsv(text: string, opts: { delimiter?: string } = {}): CsvParseResult {
  const delimiter = (opts.delimiter ?? ',').charCodeAt(0);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const { records, issues } = readRecords(text, delimiter);
  const rows: CsvRecord[] = [];
  let header: string[] | undefined;
  for (const r of records) {
    if (r.blank) continue;
    if (!header) {
      header = r.cells;
      continue;
    }
    if (r.cells.length !== header.length) {
      issues.push({
        row: r.line,
        reason: `expected ${header.length} cells (as in the header), found ${r.cells.length}; row skipped`,
      });
      continue;
    }
    rows.push({ row: r.line, cells: r.cells });
  }
  issues.sort((a, b) => a.row - b.row);
  return { header: header ?? [], rows, issues };
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'string' ? value : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvLine(cells: readonly unknown[]): string {
  // A lone empty cell would read back as a blank line, so quote it.
  if (cells.length === 1 && csvCell(cells[0]) === '') return '""';
  return cells.map(csvCell).join(',');
}

/**
 * Write CSV (RFC 4180: CRLF line ends, a final CRLF, fields quoted only when they hold a quote,
 * comma, CR or LF). null and undefined become empty cells.
 */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  let out = csvLine(header) + '\r\n';
  for (const r of rows) out += csvLine(r) + '\r\n';
  return out;
}
