/**
 * `npm run pack`: its usage text and the checking of its command line, all before any model loads.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { findEmbedder, type Dtype } from '../../lib/config.ts';
import { DEFAULT_TEXT_MODE, TEXT_MODES, type TextMode } from '../../lib/rag/doc-text.ts';
import { DTYPES, UsageError, inputFile, intArg, oneOf, outputFile, parseStrict } from '../cli/args.ts';
import { EMBED_CACHE_DIR } from '../embed-cache.ts';
import { defaultTestEmbedderId, repoRoot } from '../host.ts';

/** The pack file's name inside --out. */
export const PACK_FILE = 'corpus.crpack';

export const PACK_USAGE = `Usage: npm run pack -- --corpus FILE --out DIR [options]

Builds a corpus pack (docs/packs.md): the examples with their int8 vectors, the masked-question
vectors, and the embedder, text mode and corpus hash, so the app loads the corpus with no embedding.

  npm run pack -- --corpus static-data/demo/corpus.jsonl --out dist-pack
  npm run pack -- --corpus ../shared/data/spider/train/train_queries.spiderman.csv \\
                  --tables ../shared/data/spider/tables.json --embedder Xenova/all-MiniLM-L6-v2 --out packs/spider

  --corpus FILE           any corpus file the app loads (gretel parquet/JSONL/CSV/JSON, Spider JSON/CSV,
                          question JSONL)
  --tables FILE           Spider tables.json: attaches schemas by database
  --embedder ID           embedder from the registry (src/lib/config.ts; default USE-Lite when the
                          models folder has it, else Xenova/all-MiniLM-L6-v2 from the Hub)
  --dtype D               ${DTYPES.join(', ')} (default: the embedder's)
  --text-mode M           ${TEXT_MODES.map((m) => m.id).join(', ')} (default ${DEFAULT_TEXT_MODE})
  --no-masked             leave out the masked-question vectors
  --float                 also store the float32 vectors (4× the int8 size)
  --ivf                   also write the sharded static index of the primary vectors to DIR/ivf/
                          (ivf.json, centroids.bin, shards.bin; served with HTTP Range)
  --nlist N               lists of that index (default about 2·√n)
  --cache DIR             embedding cache (default ${path.relative(repoRoot, EMBED_CACHE_DIR)}; "none" = off)
  --out DIR               folder to write ${PACK_FILE} into (made when missing)
  --help                  this text
`;

export interface PackArgs {
  help: boolean;
  corpus: string;
  tables?: string;
  embedder: string;
  dtype?: Dtype;
  textMode: TextMode;
  masked: boolean;
  float: boolean;
  /** Write the sharded IVF layout too, with this many lists (undefined = default). */
  ivf: { nlist?: number } | null;
  cacheDir: string | null;
  outDir: string;
  outFile: string;
}

export function parsePackArgs(argv: string[]): PackArgs {
  const v = parseStrict(argv, {
    corpus: { type: 'string' },
    tables: { type: 'string' },
    embedder: { type: 'string' },
    dtype: { type: 'string' },
    'text-mode': { type: 'string' },
    'no-masked': { type: 'boolean' },
    float: { type: 'boolean' },
    ivf: { type: 'boolean' },
    nlist: { type: 'string' },
    cache: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean' },
  });
  if (v.help) return { help: true } as PackArgs;
  if (!v.corpus) throw new UsageError('--corpus FILE is required');
  if (!v.out) throw new UsageError('--out DIR is required');
  const embedder = v.embedder ?? defaultTestEmbedderId();
  const spec = findEmbedder(embedder);
  if (!spec) throw new UsageError(`--embedder ${embedder}: not in the registry (src/lib/config.ts)`);
  const dtype = v.dtype === undefined ? undefined : oneOf('dtype', v.dtype, DTYPES);
  if (dtype && !spec.dtypes.includes(dtype))
    throw new UsageError(`--dtype ${dtype}: ${embedder} comes in ${spec.dtypes.join(', ')}`);
  const textMode = oneOf<TextMode>(
    'text-mode',
    v['text-mode'] ?? DEFAULT_TEXT_MODE,
    TEXT_MODES.map((m) => m.id),
  );
  if (existsSync(v.out) && !statSync(v.out).isDirectory())
    throw new UsageError(`--out ${v.out}: is a file, not a folder`);
  if (v.nlist !== undefined && !v.ivf) throw new UsageError('--nlist needs --ivf');
  const outFile = outputFile('--out', path.join(v.out, PACK_FILE));
  return {
    help: false,
    corpus: inputFile('--corpus', v.corpus),
    ...(v.tables ? { tables: inputFile('--tables', v.tables) } : {}),
    embedder,
    ...(dtype ? { dtype } : {}),
    textMode,
    masked: !v['no-masked'],
    float: !!v.float,
    ivf: v.ivf ? { nlist: intArg('nlist', v.nlist, 1) } : null,
    cacheDir: v.cache === 'none' ? null : (v.cache ?? EMBED_CACHE_DIR),
    outDir: v.out,
    outFile,
  };
}
