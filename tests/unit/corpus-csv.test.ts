import { describe, expect, test } from 'vitest';
import { parseCsv, toCsv } from '../../src/lib/corpus/csv.ts';

describe('parseCsv', () => {
  test('plain rows, header is row 1', () => {
    const r = parseCsv('a,b\n1,2\n3,4\n');
    expect(r.header).toEqual(['a', 'b']);
    expect(r.rows).toEqual([
      { row: 2, cells: ['1', '2'] },
      { row: 3, cells: ['3', '4'] },
    ]);
    expect(r.issues).toEqual([]);
  });

  test('quoted fields with commas and "" escapes', () => {
    const r = parseCsv('q,s\n"x, y","he said ""hi"""\n"",plain\n');
    expect(r.rows.map((x) => x.cells)).toEqual([
      ['x, y', 'he said "hi"'],
      ['', 'plain'],
    ]);
  });

  test('CRLF, LF and lone CR record separators', () => {
    expect(parseCsv('a,b\r\n1,2\r\n3,4').rows).toEqual([
      { row: 2, cells: ['1', '2'] },
      { row: 3, cells: ['3', '4'] },
    ]);
    expect(parseCsv('a,b\r1,2\r3,4\r').rows.map((x) => x.row)).toEqual([2, 3]);
    expect(parseCsv('a,b\n1,2\r\n3,4\r5,6').rows.map((x) => x.cells[0])).toEqual(['1', '3', '5']);
  });

  test('newlines inside quotes are data, and rows report the line where the record starts', () => {
    const text = 'id,text\r\n1,"line one\r\nline two"\r\n2,"a\nb\rc"\r\n3,last\r\n';
    const r = parseCsv(text);
    expect(r.rows).toEqual([
      { row: 2, cells: ['1', 'line one\r\nline two'] },
      { row: 4, cells: ['2', 'a\nb\rc'] },
      { row: 7, cells: ['3', 'last'] },
    ]);
  });

  test('strips a byte order mark', () => {
    const r = parseCsv('\uFEFFdatabase,question\nx,y');
    expect(r.header).toEqual(['database', 'question']);
    expect(r.rows).toEqual([{ row: 2, cells: ['x', 'y'] }]);
  });

  test('blank lines are skipped but keep physical numbering', () => {
    const r = parseCsv('a,b\n\n1,2\n\r\n3,4\n\n');
    expect(r.rows).toEqual([
      { row: 3, cells: ['1', '2'] },
      { row: 5, cells: ['3', '4'] },
    ]);
    expect(r.issues).toEqual([]);
  });

  test('empty fields, trailing delimiter, quoted empty single cell', () => {
    expect(parseCsv('a,b,c\n,,\n').rows[0].cells).toEqual(['', '', '']);
    expect(parseCsv('a,b\n1,').rows[0].cells).toEqual(['1', '']);
    expect(parseCsv('a\n""\nx\n').rows).toEqual([
      { row: 2, cells: [''] },
      { row: 3, cells: ['x'] },
    ]);
  });

  test('rows with the wrong cell count are reported with their line and skipped', () => {
    const r = parseCsv('a,b\n1,2\n3\n4,5,6\n7,8\n');
    expect(r.rows.map((x) => x.row)).toEqual([2, 5]);
    expect(r.issues.map((i) => i.row)).toEqual([3, 4]);
    expect(r.issues[0].reason).toMatch(/expected 2 cells.*found 1/);
    expect(r.issues[1].reason).toMatch(/found 3/);
  });

  test('an unterminated quote is an issue, not an exception, and later lines still load', () => {
    const r = parseCsv('a,b\n1,"oops\n2,3\n4,5\n');
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0].row).toBe(2);
    expect(r.issues[0].reason).toMatch(/unterminated/);
    expect(r.rows).toEqual([
      { row: 3, cells: ['2', '3'] },
      { row: 4, cells: ['4', '5'] },
    ]);
  });

  test('unterminated quote after a valid multi-line record', () => {
    const r = parseCsv('a,b\n"multi\nline",ok\n5,"bad\n6,7\n');
    expect(r.rows).toEqual([
      { row: 2, cells: ['multi\nline', 'ok'] },
      { row: 5, cells: ['6', '7'] },
    ]);
    expect(r.issues.map((i) => i.row)).toEqual([4]);
  });

  test('an unterminated quote on the last line', () => {
    const r = parseCsv('a,b\n1,2\n3,"never closed');
    expect(r.rows).toEqual([{ row: 2, cells: ['1', '2'] }]);
    expect(r.issues).toEqual([expect.objectContaining({ row: 3 })]);
  });

  test('lenient with stray quotes', () => {
    expect(parseCsv('a,b\nx"y,"q"z\n').rows[0].cells).toEqual(['x"y', 'qz']);
  });

  test('empty input and header-only input', () => {
    expect(parseCsv('')).toEqual({ header: [], rows: [], issues: [] });
    expect(parseCsv('a,b\r\n')).toEqual({ header: ['a', 'b'], rows: [], issues: [] });
  });

  test('keeps spaces around unquoted fields', () => {
    expect(parseCsv('a,b\n x , y \n').rows[0].cells).toEqual([' x ', ' y ']);
  });
});

describe('toCsv', () => {
  test('quotes only when needed and ends lines with CRLF', () => {
    expect(
      toCsv(
        ['a', 'b'],
        [
          ['plain', 'x,y'],
          ['say "hi"', 'two\nlines'],
          [1, null],
        ],
      ),
    ).toBe('a,b\r\nplain,"x,y"\r\n"say ""hi""","two\nlines"\r\n1,\r\n');
  });

  test('round trip through parseCsv', () => {
    const header = ['id', 'text', 'sql'];
    const rows = [
      ['1', 'comma, here', 'SELECT "x" FROM t'],
      ['2', 'multi\r\nline\rand\nmore', ''],
      ['3', '', ' spaced '],
      ['4', '"', '""'],
      ['5', 'ünïcode ✓ 🎵', "O'Brien"],
    ];
    const parsed = parseCsv(toCsv(header, rows));
    expect(parsed.header).toEqual(header);
    expect(parsed.rows.map((r) => r.cells)).toEqual(rows);
    expect(parsed.issues).toEqual([]);
  });

  test('a single empty column survives the round trip', () => {
    const parsed = parseCsv(toCsv(['only'], [[''], ['x']]));
    expect(parsed.rows.map((r) => r.cells)).toEqual([[''], ['x']]);
  });
});
