/**
 * Which SQL may run against the working database: read statements only. The check works on the
 * token stream of each statement (sql/tokenize.ts), so comments, string literals and quoted names
 * cannot hide a verb, and it is repeated by the engine on every statement SQLite itself parsed
 * (`iterateStatements`), so a split that disagrees with SQLite's cannot smuggle a write through.
 *
 * Allowed: SELECT, VALUES, WITH … SELECT/VALUES, EXPLAIN [QUERY PLAN] of an allowed statement, and
 * a short list of PRAGMAs that only read. Everything else (INSERT, UPDATE, DELETE, REPLACE, CREATE,
 * DROP, ALTER, ATTACH, DETACH, VACUUM, REINDEX, ANALYZE, BEGIN/COMMIT, SAVEPOINT, a PRAGMA that sets
 * a value such as `query_only = 0`) is refused before anything runs.
 */
import { significantTokens, type Token } from './tokenize.ts';

/** PRAGMAs that only read, with or without an argument. */
const READ_PRAGMAS: ReadonlySet<string> = new Set([
  'table_info',
  'table_xinfo',
  'table_list',
  'index_list',
  'index_info',
  'index_xinfo',
  'foreign_key_list',
  'foreign_key_check',
  'integrity_check',
  'quick_check',
  'database_list',
  'collation_list',
  'function_list',
  'module_list',
  'pragma_list',
  'compile_options',
  'page_count',
  'freelist_count',
  'data_version',
]);

/** PRAGMAs that read a setting when written bare, but change it with `= value` or `(value)`. */
const SETTING_PRAGMAS: ReadonlySet<string> = new Set([
  'user_version',
  'application_id',
  'schema_version',
  'encoding',
  'page_size',
  'query_only',
  'foreign_keys',
  'journal_mode',
  'auto_vacuum',
  'cache_size',
]);

/** Words a SQLite statement can start with. */
const STATEMENT_VERBS: ReadonlySet<string> = new Set(
  'ALTER ANALYZE ATTACH BEGIN COMMIT CREATE DELETE DETACH DROP END EXPLAIN INSERT PRAGMA REINDEX RELEASE REPLACE ROLLBACK SAVEPOINT SELECT UPDATE VACUUM VALUES WITH'.split(
    ' ',
  ),
);

/** The message prefix every refusal starts with. */
export const READ_ONLY_REFUSAL = 'only read queries run here';

const word = (t: Token | undefined): string =>
  t && (t.kind === 'keyword' || t.kind === 'ident') ? t.value.toUpperCase() : '';

/**
 * Count statements quickly (non-empty pieces between top-level semicolons), skipping strings,
 * quoted names and comments; linear and allocation-free, so a huge batch is refused before the
 * tokenizer sees it. CREATE TRIGGER bodies count once per inner statement, which only matters for
 * SQL that is refused anyway.
 */
export function countStatements(sql: string): number {
  let count = 0;
  let content = false;
  const n = sql.length;
  for (let i = 0; i < n; i++) {
    const c = sql.charCodeAt(i);
    if (c === 59 /* ; */) {
      if (content) count++;
      content = false;
    } else if (c === 39 || c === 34 || c === 96 /* ' " ` */) {
      const j = sql.indexOf(String.fromCharCode(c), i + 1);
      i = j < 0 ? n : j; // a doubled quote is two adjacent strings here, which counts the same
      content = true;
    } else if (c === 91 /* [ */) {
      const j = sql.indexOf(']', i + 1);
      i = j < 0 ? n : j;
      content = true;
    } else if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      const j = sql.indexOf('\n', i + 2);
      i = j < 0 ? n : j;
    } else if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      const j = sql.indexOf('*/', i + 2);
      i = j < 0 ? n : j + 1;
    } else if (c > 32) content = true;
  }
  return content ? count + 1 : count;
}

/** Split SQL into statements at top-level semicolons (outside strings and comments); empty ones dropped. */
export function splitStatements(sql: string): Token[][] {
  const out: Token[][] = [];
  let cur: Token[] = [];
  for (const t of significantTokens(sql)) {
    if (t.kind === 'punct' && t.text === ';') {
      if (cur.length) out.push(cur);
      cur = [];
    } else cur.push(t);
  }
  if (cur.length) out.push(cur);
  return out;
}

/** The main verb of a WITH statement: the first SELECT/VALUES/INSERT/... outside parentheses. */
function withVerb(tokens: Token[]): string {
  let depth = 0;
  for (const t of tokens.slice(1)) {
    if (t.kind === 'punct' && t.text === '(') depth++;
    else if (t.kind === 'punct' && t.text === ')') depth--;
    else if (depth === 0) {
      const w = word(t);
      if (['SELECT', 'VALUES', 'INSERT', 'UPDATE', 'DELETE', 'REPLACE'].includes(w)) return w;
    }
  }
  return '';
}

function pragmaRefusal(tokens: Token[]): string | null {
  let i = 1;
  // Optional schema prefix: PRAGMA main.table_info(...)
  if (tokens[i + 1]?.text === '.') i += 2;
  const name = (tokens[i]?.value ?? '').toLowerCase();
  const rest = tokens.slice(i + 1);
  if (READ_PRAGMAS.has(name)) return null;
  if (SETTING_PRAGMAS.has(name) && rest.length === 0) return null;
  return name ? `PRAGMA ${name}${rest.length ? ' with a value' : ''} is not a read-only PRAGMA` : 'an empty PRAGMA';
}

/**
 * Why one statement (its tokens, no trailing semicolon) may not run, or null when it only reads.
 */
export function refusalFor(tokens: Token[]): string | null {
  const verb = word(tokens[0]);
  switch (verb) {
    case 'SELECT':
    case 'VALUES':
      return null;
    case 'WITH': {
      const main = withVerb(tokens);
      return main === 'SELECT' || main === 'VALUES' ? null : `this is a WITH … ${main || '(no SELECT)'} statement`;
    }
    case 'EXPLAIN': {
      let i = 1;
      if (word(tokens[1]) === 'QUERY' && word(tokens[2]) === 'PLAN') i = 3;
      const inner = refusalFor(tokens.slice(i));
      return inner === null ? null : `EXPLAIN of a statement that is refused (${inner})`;
    }
    case 'PRAGMA':
      return pragmaRefusal(tokens);
    default:
      return STATEMENT_VERBS.has(verb)
        ? `this is a ${verb} statement`
        : `a statement cannot start with "${tokens[0]?.text ?? ''}"`;
  }
}

/** Whether the statement starts with a word SQLite knows as a statement (else it is a syntax error). */
export function startsWithVerb(tokens: Token[]): boolean {
  return STATEMENT_VERBS.has(word(tokens[0]));
}

/** The full user-facing message for a refused statement. */
export function refusalMessage(why: string): string {
  return `${READ_ONLY_REFUSAL}: ${why}, so nothing ran. Allowed: SELECT, WITH … SELECT, VALUES, EXPLAIN and read-only PRAGMAs such as table_info.`;
}

/** Check SQL (one or more statements) before running it: the first refusal as a message, or null. */
export function checkReadOnly(sql: string): string | null {
  for (const st of splitStatements(sql)) {
    const why = refusalFor(st);
    if (why !== null) return refusalMessage(why);
  }
  return null;
}
