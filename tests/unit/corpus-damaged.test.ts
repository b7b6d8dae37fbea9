/**
 * Issue 18 item 19: partial, damaged and differently encoded corpus files are reported (row
 * numbers, notes) or refused with a message, never loaded silently. Every input is generated here.
 */
import { describe, expect, test } from 'vitest';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { loadCorpusFile } from '../../src/lib/corpus/detect.ts';
import { CorpusFormatError } from '../../src/lib/corpus/records.ts';
import { decodeFile, firstInvalidUtf8 } from '../../src/lib/corpus/records.ts';

const enc = new TextEncoder();
const bytes = (s: string): ArrayBuffer => enc.encode(s).buffer as ArrayBuffer;

/** UTF-16 bytes of `s`, with or without a byte order mark. */
function utf16(s: string, le: boolean, bom: boolean): ArrayBuffer {
  const out = new Uint8Array((bom ? 2 : 0) + s.length * 2);
  let o = 0;
  if (bom) {
    out[o++] = le ? 0xff : 0xfe;
    out[o++] = le ? 0xfe : 0xff;
  }
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[o++] = le ? c & 0xff : c >> 8;
    out[o++] = le ? c >> 8 : c & 0xff;
  }
  return out.buffer;
}

/** Latin-1 bytes of `s` (every character below U+0100). */
function latin1(s: string): ArrayBuffer {
  return Uint8Array.from([...s].map((c) => c.charCodeAt(0))).buffer;
}

const CSV =
  'question,sql,database\nCafé owners in Zürich?,SELECT name FROM owners,shop\nHow many?,SELECT count(*) FROM t,shop\n';

describe('partial files report rows (item 19)', () => {
  test('a JSONL whose last line is cut reports that line as cut short', async () => {
    const lines = Array.from({ length: 5 }, (_, i) => JSON.stringify({ question: `q${i}`, sql: `SELECT ${i}` }));
    const full = lines.join('\n');
    const cut = full.slice(0, full.length - 7);
    const r = await loadCorpusFile('cut.jsonl', bytes(cut));
    expect(r.examples).toHaveLength(4);
    expect(r.issues).toEqual([{ row: 5, reason: expect.stringMatching(/^the last line is cut short/) }]);
  });

  test('JSONL with bad lines reports each by line number', async () => {
    const text = [
      JSON.stringify({ question: 'a', sql: 'SELECT 1' }),
      '{oops',
      JSON.stringify({ question: 'b', sql: 'SELECT 2' }),
      '[1, 2]',
      JSON.stringify({ question: 'c' }),
      '',
    ].join('\n');
    const r = await loadCorpusFile('bad.jsonl', bytes(text));
    expect(r.examples.map((e) => e.question)).toEqual(['a', 'b']);
    expect(r.issues.map((i) => i.row)).toEqual([2, 4, 5]);
    expect(r.issues[0].reason).toMatch(/^invalid JSON/);
  });

  test('CSV with ragged rows and an unterminated quote reports the rows', async () => {
    const text =
      'question,sql,database\na,SELECT 1,db\nb,SELECT 2\nc,SELECT 3,db,extra\nd,"SELECT 4,db\ne,SELECT 5,db\n';
    const r = await loadCorpusFile('ragged.csv', bytes(text));
    expect(r.examples.map((e) => e.question)).toEqual(['a', 'e']);
    expect(r.issues.map((i) => i.row)).toEqual([3, 4, 5]);
    expect(r.issues[2].reason).toMatch(/unterminated quoted field/);
  });
});

describe('encodings (item 19)', () => {
  test.each([
    ['UTF-16LE with BOM', utf16(CSV, true, true), /UTF-16 \(little-endian\)/],
    ['UTF-16BE with BOM', utf16(CSV, false, true), /UTF-16 \(big-endian\)/],
    ['UTF-16LE without BOM', utf16(CSV, true, false), /UTF-16 \(little-endian, no byte order mark\)/],
  ])('%s is decoded, with a note', async (_name, data, note) => {
    const r = await loadCorpusFile('u16.csv', data);
    expect(r.examples.map((e) => e.question)).toEqual(['Café owners in Zürich?', 'How many?']);
    expect(r.notes).toEqual([expect.stringMatching(note)]);
  });

  test('Latin-1 is detected, decoded as Windows-1252, and the first bad line named', async () => {
    const r = await loadCorpusFile('latin1.csv', latin1(CSV));
    expect(r.examples[0].question).toBe('Café owners in Zürich?');
    expect(r.notes).toEqual([expect.stringMatching(/latin1\.csv is not valid UTF-8 \(first bad byte on line 2\)/)]);
  });

  test('plain UTF-8 has no note; text already decoded with replacement characters gets one', async () => {
    expect((await loadCorpusFile('ok.csv', bytes(CSV))).notes).toBeUndefined();
    const r = await loadCorpusFile('lost.csv', CSV.replace('é', '\uFFFD'));
    expect(r.notes).toEqual([expect.stringMatching(/replacement characters .* first on line 2/)]);
  });

  test('binary data is refused', async () => {
    const junk = new Uint8Array(400).map((_, i) => (i * 7919) % 251);
    await expect(loadCorpusFile('junk.csv', junk.buffer)).rejects.toThrow(/looks like a binary file/);
  });

  test('the UTF-8 validator agrees with a fatal TextDecoder', () => {
    const samples = [
      enc.encode('plain ascii'),
      enc.encode('ünïcödé and 😀'),
      Uint8Array.from([0x61, 0xe9, 0x62]),
      Uint8Array.from([0xc0, 0x80]),
      Uint8Array.from([0xed, 0xa0, 0x80]),
      Uint8Array.from([0xf0, 0x9f, 0x98]),
      Uint8Array.from([0xe2, 0x82, 0xac]),
    ];
    for (const s of samples) {
      let valid = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(s);
      } catch {
        valid = false;
      }
      expect(firstInvalidUtf8(s) < 0, String([...s])).toBe(valid);
    }
    expect(decodeFile(Uint8Array.from([0x61, 0x0a, 0x62, 0xe9])).note).toMatch(/line 2/);
  });
});

describe('damaged parquet (item 19)', () => {
  const good = () =>
    parquetWriteBuffer({
      columnData: [
        { name: 'sql_prompt', data: ['q1', 'q2'], type: 'STRING' },
        { name: 'sql', data: ['SELECT 1', 'SELECT 2'], type: 'STRING' },
      ],
    });

  const damaged: [string, () => ArrayBuffer][] = [
    ['a zeroed footer', () => bytes('PAR1' + '\0'.repeat(20) + 'PAR1')],
    ['a garbage footer length', () => bytes('PAR1garbagegarbagePAR1')],
    [
      'a truncated file',
      () => {
        const b = new Uint8Array(good());
        return Uint8Array.from([...b.subarray(0, 40), ...b.subarray(b.length - 8)]).buffer;
      },
    ],
    [
      'scribbled metadata',
      () => {
        const b = new Uint8Array(good());
        const metaLen = new DataView(b.buffer).getUint32(b.length - 8, true);
        for (let i = b.length - 8 - metaLen; i < b.length - 8; i += 3) b[i] = 0xff;
        return b.buffer;
      },
    ],
  ];

  test.each(damaged)('%s gives a clear message, no JavaScript internals', async (_name, make) => {
    const err = await loadCorpusFile('bad.parquet', make()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CorpusFormatError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/parquet/);
    expect(msg).not.toMatch(/Cannot read properties|undefined|is not a function/);
  });

  test('the undamaged file loads', async () => {
    expect((await loadCorpusFile('good.parquet', good())).examples).toHaveLength(2);
  });
});
