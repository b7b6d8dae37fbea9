/**
 * The team's own test files for importing spreadsheets (static-data/import/), generated from a
 * seed so the same bytes come out every time (tests/unit/import-testdata.test.ts checks that the
 * committed files are exactly what this writes). Names and words are team-written lists.
 *
 * - sales.csv: 10,000 orders; UTF-8 with a BOM, CRLF line ends; ISO dates, integers, decimals,
 *   text with commas, double quotes and a line break inside quotes, blank cells.
 * - stores.xlsx: a workbook with two sheets (Stores, Targets), written as minimal SpreadsheetML
 *   with inline strings and one date style, zipped with fflate.
 * - events.jsonl: 2,000 events, one JSON object per line, some keys missing; line 500 is broken
 *   JSON and line 1000 is an array (two bad rows a reader must list and skip).
 */
import { strToU8, zipSync } from 'fflate';
import { mulberry32 } from '../lib/eval/stats.ts';

/** A small seeded generator, deterministic across platforms (the core's mulberry32). */
const rng = mulberry32;

const FIRST = ['Anna', 'Bruno', 'Chloé', 'Dmitri', 'Eva', 'Farid', 'Greta', 'Hiro', 'Ines', 'Jonas', 'Kemal', 'Lena'];
const LAST = ['Smith', 'Okafor', 'Dubois', 'Novak', 'García', 'Lindqvist', "O'Brien", 'Tanaka', 'Rossi', 'Weber'];
const PRODUCTS = [
  'Desk lamp',
  '27" monitor',
  'Chair, ergonomic',
  'Notebook (A5)',
  'USB-C cable 2m',
  'Standing desk',
  'Pens, box of 12',
  'Headphones "Studio"',
  'Keyboard',
  'Mouse pad',
];
const PRICES = [24.9, 229, 189.5, 3.75, 9.99, 449, 6.2, 119, 59.9, 7.5];
const REGIONS = ['North', 'South', 'East', 'West', 'Central'];
const NOTES = ['gift wrap', 'call before delivery', 'leave at the door, please', 'fragile: "handle with care"'];

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Days from 2023-01-01 → ISO date. */
function dayIso(days: number): string {
  const d = new Date(Date.UTC(2023, 0, 1) + days * 86_400_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export const SALES_ROWS = 10_000;

export function makeSalesCsv(rows = SALES_ROWS, seed = 14): string {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const lines = [
    [
      'Order ID',
      'Order Date',
      'Customer Name',
      'Product',
      'Quantity',
      'Unit Price (€)',
      'Discount %',
      'Region',
      'Notes',
      'Shipped On',
    ].join(','),
  ];
  for (let i = 1; i <= rows; i++) {
    const day = Math.floor(r() * 730);
    const p = Math.floor(r() * PRODUCTS.length);
    const qty = 1 + Math.floor(r() * 9);
    const discount = r() < 0.3 ? String(Math.floor(r() * 4) * 5) : '';
    const noteRoll = r();
    const note = noteRoll < 0.1 ? pick(NOTES) : noteRoll < 0.11 ? 'two lines:\nsecond line' : '';
    const shipped = r() < 0.85 ? dayIso(day + 1 + Math.floor(r() * 6)) : '';
    const customer = `${pick(LAST)}, ${pick(FIRST)}`;
    lines.push(
      [
        String(1000 + i),
        dayIso(day),
        csvField(customer),
        csvField(PRODUCTS[p]),
        String(qty),
        PRICES[p].toFixed(2),
        discount,
        pick(REGIONS),
        csvField(note),
        shipped,
      ].join(','),
    );
  }
  return '\uFEFF' + lines.join('\r\n') + '\r\n';
}

// ------------------------------------------------------------------------------- xlsx

type Cell = string | number | { date: string } | null;

function colName(i: number): string {
  let s = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

function xmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Excel's day number for an ISO date (1900 date system: serial 25569 = 1970-01-01). */
function excelSerial(iso: string): number {
  return Date.parse(`${iso}T00:00:00Z`) / 86_400_000 + 25569;
}

function sheetXml(rows: Cell[][]): string {
  const body = rows
    .map((cells, ri) => {
      const cs = cells
        .map((c, ci) => {
          const ref = `${colName(ci)}${ri + 1}`;
          if (c === null) return '';
          if (typeof c === 'number') return `<c r="${ref}"><v>${c}</v></c>`;
          if (typeof c === 'string')
            return `<c r="${ref}" t="inlineStr"><is><t xml:space="preserve">${xmlText(c)}</t></is></c>`;
          return `<c r="${ref}" s="1"><v>${excelSerial(c.date)}</v></c>`;
        })
        .join('');
      return `<row r="${ri + 1}">${cs}</row>`;
    })
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' +
    `<sheetData>${body}</sheetData></worksheet>`
  );
}

/** A minimal .xlsx: content types, relationships, workbook, styles (style 1 = a date), sheets. */
export function makeWorkbook(sheets: { name: string; rows: Cell[][] }[]): Uint8Array {
  const ns = 'http://schemas.openxmlformats.org';
  const files: Record<string, Uint8Array> = {
    '[Content_Types].xml': strToU8(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="${ns}/package/2006/content-types">` +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
        sheets
          .map(
            (_, i) =>
              `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`,
          )
          .join('') +
        '</Types>',
    ),
    '_rels/.rels': strToU8(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="${ns}/package/2006/relationships">` +
        `<Relationship Id="rId1" Type="${ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
        '</Relationships>',
    ),
    'xl/workbook.xml': strToU8(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="${ns}/spreadsheetml/2006/main" xmlns:r="${ns}/officeDocument/2006/relationships"><sheets>` +
        sheets.map((s, i) => `<sheet name="${xmlText(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('') +
        '</sheets></workbook>',
    ),
    'xl/_rels/workbook.xml.rels': strToU8(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="${ns}/package/2006/relationships">` +
        sheets
          .map(
            (_, i) =>
              `<Relationship Id="rId${i + 1}" Type="${ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`,
          )
          .join('') +
        `<Relationship Id="rId${sheets.length + 1}" Type="${ns}/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
        '</Relationships>',
    ),
    'xl/styles.xml': strToU8(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="${ns}/spreadsheetml/2006/main">` +
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>' +
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>' +
        '<borders count="1"><border/></borders>' +
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>' +
        '</styleSheet>',
    ),
  };
  sheets.forEach((s, i) => (files[`xl/worksheets/sheet${i + 1}.xml`] = strToU8(sheetXml(s.rows))));
  // A fixed time stamp: the archive bytes depend only on the contents.
  return zipSync(files, { level: 6, mtime: new Date(Date.UTC(2026, 0, 1)) });
}

export const STORE_ROWS = 40;
export const TARGET_ROWS = 120;

export function makeStoresXlsx(seed = 41): Uint8Array {
  const r = rng(seed);
  const cities = ['Lyon', 'Porto', 'Graz', 'Turku', 'Ghent', 'Brno', 'Cork', 'Bergen'];
  const stores: Cell[][] = [['Store ID', 'City', 'Region', 'Opened', 'Floor Area (m²)', 'Manager']];
  for (let i = 1; i <= STORE_ROWS; i++) {
    stores.push([
      i,
      cities[Math.floor(r() * cities.length)],
      REGIONS[Math.floor(r() * REGIONS.length)],
      { date: dayIso(-Math.floor(r() * 3000)) },
      Math.round((80 + r() * 900) * 10) / 10,
      r() < 0.1 ? null : `${FIRST[Math.floor(r() * FIRST.length)]} ${LAST[Math.floor(r() * LAST.length)]}`,
    ]);
  }
  const targets: Cell[][] = [['Store ID', 'Month', 'Target (€)', 'Comment']];
  for (let i = 0; i < TARGET_ROWS; i++) {
    targets.push([
      1 + (i % STORE_ROWS),
      `2024-${pad(1 + Math.floor(i / STORE_ROWS))}`,
      Math.round(5000 + r() * 20000),
      r() < 0.2 ? 'includes a "spring sale", online too' : null,
    ]);
  }
  return makeWorkbook([
    { name: 'Stores', rows: stores },
    { name: 'Targets', rows: targets },
  ]);
}

// ------------------------------------------------------------------------------- JSONL

export const EVENT_LINES = 2000;
/** Lines of events.jsonl that are bad on purpose (1-based). */
export const EVENT_BAD_LINES = [500, 1000];

export function makeEventsJsonl(lines = EVENT_LINES, seed = 7): string {
  const r = rng(seed);
  const kinds = ['view', 'click', 'add_to_cart', 'purchase'];
  const out: string[] = [];
  for (let i = 1; i <= lines; i++) {
    if (i === EVENT_BAD_LINES[0]) {
      out.push('{"event_id": 500, "kind": "view", ');
      continue;
    }
    if (i === EVENT_BAD_LINES[1]) {
      out.push('[1000, "click"]');
      continue;
    }
    const day = Math.floor(r() * 365);
    const ev: Record<string, unknown> = {
      event_id: i,
      ts: `${dayIso(day)}T${pad(Math.floor(r() * 24))}:${pad(Math.floor(r() * 60))}:${pad(Math.floor(r() * 60))}Z`,
      user: `u${100 + Math.floor(r() * 400)}`,
      kind: kinds[Math.floor(r() * kinds.length)],
    };
    if (ev.kind === 'purchase') ev.amount = Math.round(r() * 50000) / 100;
    if (r() < 0.5) ev.page = `/p/${Math.floor(r() * 60)}`;
    if (r() < 0.2) ev.tags = ['promo', r() < 0.5 ? 'mobile' : 'desktop'];
    out.push(JSON.stringify(ev));
  }
  return out.join('\n') + '\n';
}

/** Every generated file by its path under static-data/. */
export function importTestFiles(): Map<string, Uint8Array> {
  return new Map([
    ['import/sales.csv', strToU8(makeSalesCsv())],
    ['import/stores.xlsx', makeStoresXlsx()],
    ['import/events.jsonl', strToU8(makeEventsJsonl())],
  ]);
}
