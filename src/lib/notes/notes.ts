/**
 * Schema notes: the user's description of each table and column of one database, and other
 * names for them (synonyms). Stored per database identity in the key-value store
 * (`notes:<identity>`), merged into the TableInfo list that prompts and schema linking read, and
 * carried in workspace files. DOM-free; every reader of stored or imported notes goes through
 * `parseNotes`, which keeps only well-formed, bounded entries.
 */
import { fnv1a64Hex } from '../corpus/hash.ts';
import type { SchemaNote, TableInfo } from '../types.ts';

export const NOTES_VERSION = 1;
/** Bounds on what a note may hold (a prompt carries them all). */
export const MAX_NOTE_CHARS = 500;
export const MAX_SYNONYMS = 12;
export const MAX_SYNONYM_CHARS = 60;

export interface TableNotes {
  note?: SchemaNote;
  /** Notes by column name. */
  columns?: Record<string, SchemaNote>;
}

/** Notes of one database: by table name. */
export interface NotesDoc {
  version: number;
  tables: Record<string, TableNotes>;
}

export function emptyNotes(): NotesDoc {
  return { version: NOTES_VERSION, tables: {} };
}

/**
 * The identity of a database for what is stored with it (notes, My examples): its name and a
 * hash of its schema (tables, columns, types in order). Reopening the same file gives the same
 * identity; a database with another schema under the same name gets another one.
 */
export function dbIdentity(info: { name: string; tables: readonly TableInfo[] }): string {
  const schema = info.tables.map((t) => `${t.name}(${t.columns.map((c, i) => `${c} ${t.types?.[i] ?? ''}`)})`);
  return `${info.name}@${fnv1a64Hex(schema.join('\n'))}`;
}

/** A note cleaned to its bounds; undefined when nothing is left. */
export function cleanNote(n: unknown): SchemaNote | undefined {
  if (!n || typeof n !== 'object') return undefined;
  const o = n as Record<string, unknown>;
  const text = typeof o.text === 'string' ? o.text.trim().slice(0, MAX_NOTE_CHARS) : '';
  const synonyms = Array.isArray(o.synonyms)
    ? [
        ...new Set(
          o.synonyms
            .filter((s): s is string => typeof s === 'string')
            .map((s) => s.replace(/\s+/g, ' ').trim().slice(0, MAX_SYNONYM_CHARS))
            .filter(Boolean),
        ),
      ].slice(0, MAX_SYNONYMS)
    : [];
  if (!text && !synonyms.length) return undefined;
  return { ...(text ? { text } : {}), ...(synonyms.length ? { synonyms } : {}) };
}

/** Synonyms typed as one comma-separated line. */
export function parseSynonyms(line: string): string[] {
  return line
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Read notes from stored or imported data. Throws (with what is wrong) when the shape is not a
 * notes document at all; entries that are malformed are dropped.
 */
export function parseNotes(data: unknown): NotesDoc {
  if (!data || typeof data !== 'object') throw new Error('schema notes: not an object');
  const o = data as Record<string, unknown>;
  if (o.version !== NOTES_VERSION) throw new Error(`schema notes: unsupported version ${String(o.version)}`);
  if (!o.tables || typeof o.tables !== 'object' || Array.isArray(o.tables)) {
    throw new Error('schema notes: "tables" is not an object');
  }
  const out = emptyNotes();
  for (const [table, raw] of Object.entries(o.tables as Record<string, unknown>)) {
    if (!raw || typeof raw !== 'object') continue;
    const t = raw as Record<string, unknown>;
    const entry: TableNotes = {};
    const note = cleanNote(t.note);
    if (note) entry.note = note;
    if (t.columns && typeof t.columns === 'object' && !Array.isArray(t.columns)) {
      const cols: Record<string, SchemaNote> = {};
      for (const [c, n] of Object.entries(t.columns as Record<string, unknown>)) {
        const cn = cleanNote(n);
        if (cn) cols[c] = cn;
      }
      if (Object.keys(cols).length) entry.columns = cols;
    }
    if (entry.note || entry.columns) out.tables[table] = entry;
  }
  return out;
}

/** The notes with one table's or column's note set (undefined/empty note = removed). */
export function withNote(doc: NotesDoc, table: string, column: string | null, note: SchemaNote | undefined): NotesDoc {
  const clean = cleanNote(note);
  const tables = { ...doc.tables };
  const t: TableNotes = { ...tables[table], columns: { ...tables[table]?.columns } };
  if (column === null) {
    if (clean) t.note = clean;
    else delete t.note;
  } else if (clean) t.columns![column] = clean;
  else delete t.columns![column];
  if (!Object.keys(t.columns!).length) delete t.columns;
  if (t.note || t.columns) tables[table] = t;
  else delete tables[table];
  return { version: NOTES_VERSION, tables };
}

/**
 * The tables with the user's notes merged in: a user's note replaces the note an import set
 * (the original header), and tables and columns without one keep theirs.
 */
export function applyNotes(tables: readonly TableInfo[], doc: NotesDoc | null): TableInfo[] {
  if (!doc || !Object.keys(doc.tables).length) return tables as TableInfo[];
  return tables.map((t) => {
    const n = doc.tables[t.name];
    if (!n) return t;
    const columnNotes = t.columns.map((c, i) => n.columns?.[c] ?? t.columnNotes?.[i]);
    return {
      ...t,
      ...(n.note || t.note ? { note: n.note ?? t.note } : {}),
      ...(columnNotes.some(Boolean) ? { columnNotes } : {}),
    };
  });
}

/** A note as one line of prompt text: `text (also: a, b)`; '' when there is none. */
export function noteLine(n: SchemaNote | undefined): string {
  if (!n) return '';
  const text = (n.text ?? '').replace(/\s+/g, ' ').trim();
  const syn = n.synonyms?.length ? `also: ${n.synonyms.join(', ')}` : '';
  return text && syn ? `${text} (${syn})` : text || syn;
}
