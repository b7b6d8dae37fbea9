/**
 * The SQL editor: CodeMirror 6 with the SQLite dialect, highlighting, schema-aware completion of
 * table and column names, an inline mark for SQL errors (a lint diagnostic) and a highlight for
 * the clause an explanation refers to. Loaded on demand by SqlEditor.svelte.
 */
import { basicSetup } from 'codemirror';
import { Compartment, EditorState, Prec, StateEffect, StateField, type Extension } from '@codemirror/state';
import { Decoration, EditorView, keymap, type DecorationSet } from '@codemirror/view';
import { SQLite, sql, type SQLNamespace } from '@codemirror/lang-sql';
import { setDiagnostics } from '@codemirror/lint';
import type { Completion, CompletionContext, CompletionResult } from '@codemirror/autocomplete';
import type { TableInfo } from '../lib/types.ts';

export interface SqlEditorOptions {
  doc: string;
  tables: TableInfo[];
  /** data-testid of the editable element (the content element holds exactly the SQL text). */
  testid: string;
  label: string;
  onChange(text: string): void;
  /** Ctrl/Cmd-Enter. */
  onRun?(): void;
}

/** An editor's state built ahead of its view (see `prepareSqlEditor`). */
export interface PreparedSqlEditor {
  /** The text the state was built with. */
  readonly doc: string;
  /** Build the view, outside the page (the second step: no style or layout work yet). */
  create(): DetachedSqlEditor;
}

/** A built editor not yet in the page: it takes text, schema and marks as an attached one does. */
export interface DetachedSqlEditor extends SqlEditorHandle {
  /** The text it holds now. */
  readonly doc: string;
  /**
   * Put it into `parent` (the third step: its style and layout), with the plain box's caret when
   * the user was typing in it.
   */
  attach(parent: HTMLElement, selection?: { anchor: number; head: number }): void;
}

export interface Range {
  from: number;
  to: number;
}

export interface SqlEditorHandle {
  setDoc(text: string): void;
  setSchema(tables: TableInfo[]): void;
  setError(spot: (Range & { message: string }) | null): void;
  setHighlight(range: Range | null): void;
  focus(): void;
  destroy(): void;
}

const setHighlight = StateEffect.define<Range | null>();
const setErrorMark = StateEffect.define<Range | null>();

function markField(effect: typeof setHighlight, deco: Decoration): StateField<DecorationSet> {
  return StateField.define<DecorationSet>({
    create: () => Decoration.none,
    update(set, tr) {
      set = set.map(tr.changes);
      for (const e of tr.effects) {
        if (!e.is(effect)) continue;
        const r = e.value;
        set = r && r.to > r.from ? Decoration.set([deco.range(r.from, r.to)]) : Decoration.none;
      }
      return set;
    },
    provide: (f) => EditorView.decorations.from(f),
  });
}

const highlightField = markField(
  setHighlight,
  Decoration.mark({ class: 'cm-explain-hl', attributes: { 'data-testid': 'sql-highlight' } }),
);
const errorField = markField(
  setErrorMark,
  Decoration.mark({ class: 'cm-sql-error', attributes: { 'data-testid': 'sql-error-mark' } }),
);

/** The editor's font: the app's code font (app.css). */
const MONO = 'var(--font-code)';

const theme = EditorView.theme({
  '&': {
    fontSize: '0.85rem',
    border: '1px solid var(--line, #dde1e6)',
    borderRadius: '6px',
    background: 'var(--field, #fff)',
    color: 'var(--ink, #1b1f24)',
  },
  '&.cm-focused': { outline: '2px solid var(--focus, #1d4ed8)' },
  '.cm-scroller': {
    fontFamily: MONO,
    minHeight: '4.5em',
    maxHeight: '18rem',
  },
  '.cm-gutters': { background: 'var(--code-bg, #f1f3f5)', color: 'var(--muted, #5b6470)', borderColor: 'var(--line)' },
  '.cm-activeLine, .cm-activeLineGutter': { background: 'color-mix(in srgb, var(--accent, #1d4ed8) 8%, transparent)' },
  '.cm-cursor': { borderLeftColor: 'var(--ink, #1b1f24)' },
  '.cm-explain-hl': { background: 'var(--hl-bg, #fde68a)', borderRadius: '2px' },
  '.cm-sql-error': {
    background: 'var(--error-bg, #fee2e2)',
    textDecoration: 'underline wavy var(--bad, #b42318)',
    textUnderlineOffset: '3px',
  },
  '.cm-tooltip': { background: 'var(--panel, #fff)', color: 'var(--ink, #1b1f24)', borderColor: 'var(--line)' },
  // The completion list in the editor's own font (family, size, weight, upright): each face or size
  // the page has not drawn yet costs a font lookup in the first layout that needs it (a synchronous
  // request to the browser process on Linux: up to hundreds of ms while the typing waits), and the
  // default theme's generic monospace, italic details and small bold icons were three new ones.
  '.cm-tooltip.cm-tooltip-autocomplete > ul': { fontFamily: MONO },
  '.cm-completionDetail': { fontStyle: 'normal', opacity: '0.75' },
  '.cm-tooltip-autocomplete ul li[aria-selected]': {
    background: 'var(--accent, #1d4ed8)',
    color: 'var(--on-accent, #fff)',
  },
  // Completion icons as letters in a box (CSS only): the default icons are symbols that need an emoji font.
  '.cm-completionIcon': {
    width: '1.2em',
    height: '1.2em',
    lineHeight: '1.2em',
    padding: '0',
    marginRight: '0.4em',
    borderRadius: '3px',
    border: '1px solid currentColor',
    fontSize: '1em',
    fontFamily: MONO,
    textAlign: 'center',
    opacity: '0.8',
    boxSizing: 'border-box',
    verticalAlign: 'middle',
  },
  '.cm-completionIcon:after': { content: "'?'" },
  '.cm-completionIcon-keyword:after': { content: "'K'" },
  '.cm-completionIcon-type:after': { content: "'T'" },
  '.cm-completionIcon-class:after': { content: "'T'" },
  '.cm-completionIcon-namespace:after': { content: "'S'" },
  '.cm-completionIcon-property:after': { content: "'C'" },
  '.cm-completionIcon-variable:after': { content: "'V'" },
  '.cm-completionIcon-constant:after': { content: "'V'" },
  '.cm-completionIcon-function:after, .cm-completionIcon-method:after': { content: "'F'" },
  '.cm-completionIcon-text:after': { content: "'A'" },
});

function namespace(tables: TableInfo[]): SQLNamespace {
  const ns: Record<string, string[]> = {};
  for (const t of tables) ns[t.name] = t.columns.slice();
  return ns;
}

/** Column names of every table, completed anywhere (lang-sql completes them after `table.`). */
function columnSource(tables: () => TableInfo[]) {
  return (ctx: CompletionContext): CompletionResult | null => {
    const word = ctx.matchBefore(/[\w$]+/);
    if (!word || (word.from === word.to && !ctx.explicit)) return null;
    if (ctx.state.sliceDoc(word.from - 1, word.from) === '.') return null;
    const seen = new Map<string, string[]>();
    for (const t of tables()) for (const c of t.columns) seen.set(c, [...(seen.get(c) ?? []), t.name]);
    const options: Completion[] = [...seen].map(([c, ts]) => ({
      label: c,
      type: 'property',
      detail: ts.slice(0, 3).join(', ') + (ts.length > 3 ? ', …' : ''),
      boost: -1,
    }));
    return { from: word.from, options, validFor: /^[\w$]*$/ };
  };
}

const schemaKey = (tables: TableInfo[]) => JSON.stringify(tables.map((t) => [t.name, t.columns]));

/**
 * Build the editor in three steps, each a shorter task than all at once (issue 15, item 2): the
 * state (extensions, the SQL dialect with the schema, the document) now, the view on `create`
 * (outside the page), its place in the page on `attach`.
 * The setters skip work that changes nothing (the page sets the schema, error and highlight right
 * after creating an editor), so a fresh editor costs no extra transactions.
 */
export function prepareSqlEditor(o: SqlEditorOptions): PreparedSqlEditor {
  let tables = o.tables;
  let shownSchema = schemaKey(tables);
  let hasError = false;
  let hasHighlight = false;
  const lang = new Compartment();
  const langExt = (): Extension => {
    const support = sql({ dialect: SQLite, schema: namespace(tables), upperCaseKeywords: true });
    return [support, support.language.data.of({ autocomplete: columnSource(() => tables) })];
  };
  const state = EditorState.create({
    doc: o.doc,
    extensions: [
      Prec.highest(
        keymap.of([
          {
            key: 'Mod-Enter',
            run: () => {
              o.onRun?.();
              return true;
            },
          },
        ]),
      ),
      basicSetup,
      lang.of(langExt()),
      highlightField,
      errorField,
      theme,
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ 'data-testid': o.testid, 'aria-label': o.label }),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) o.onChange(u.state.doc.toString());
      }),
    ],
  });
  return { doc: o.doc, create: () => createView(state) };

  function createView(state: EditorState): DetachedSqlEditor {
    // No parent: CodeMirror measures once the element is in the page (its observers see it).
    const view = new EditorView({ state });
    const clamp = (r: Range): Range => {
      const n = view.state.doc.length;
      return { from: Math.max(0, Math.min(n, r.from)), to: Math.max(0, Math.min(n, r.to)) };
    };
    return {
      get doc() {
        return view.state.doc.toString();
      },
      attach(parent, selection) {
        if (selection) {
          const n = view.state.doc.length;
          view.dispatch({ selection: { anchor: Math.min(selection.anchor, n), head: Math.min(selection.head, n) } });
        }
        parent.appendChild(view.dom);
        view.requestMeasure();
      },
      setDoc(text) {
        if (text === view.state.doc.toString()) return;
        view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
      },
      setSchema(next) {
        tables = next;
        const key = schemaKey(next);
        if (key === shownSchema) return;
        shownSchema = key;
        view.dispatch({ effects: lang.reconfigure(langExt()) });
      },
      setError(spot) {
        if (!spot && !hasError) return;
        hasError = !!spot;
        const r = spot ? clamp(spot) : null;
        const diags =
          spot && r && r.to > r.from
            ? [{ from: r.from, to: r.to, severity: 'error' as const, message: spot.message, source: 'SQLite' }]
            : [];
        view.dispatch(setDiagnostics(view.state, diags));
        view.dispatch({ effects: setErrorMark.of(r) });
      },
      setHighlight(range) {
        if (!range && !hasHighlight) return;
        hasHighlight = !!range;
        const r = range ? clamp(range) : null;
        view.dispatch({
          effects: [
            setHighlight.of(r),
            ...(r && r.to > r.from ? [EditorView.scrollIntoView(r.from, { y: 'nearest' })] : []),
          ],
        });
      },
      focus() {
        view.focus();
      },
      destroy() {
        view.destroy();
      },
    };
  }
}
