/**
 * Opening a pack as the current corpus's indexes: check it against what the host queries with
 * (embedder id, dtype, dimension and document text mode), then build the primary index (and the
 * masked-question index, in the slot `<corpus>#masked`) from the pack's vectors through the
 * index seam (`IndexServiceApi.build`): nothing is embedded. DOM-free: the page, Node and the
 * tests share it.
 */
import { CancelledError } from '../errors.ts';
import type { IndexMeta, IndexRecord } from '../index/store.ts';
import type { IndexKind } from '../index/vector-index.ts';
import type { TextMode } from '../rag/doc-text.ts';
import type { IndexServiceApi } from '../services.ts';
import type { ProgressFn } from '../types.ts';
import { PackError, describeEmbedder, type PackEmbedder, type PackHeader } from './format.ts';
import { packFloatVectors, type Pack } from './read.ts';

/** What the host will search with: a pack must have been built for exactly this. */
export interface PackTarget {
  embedder: PackEmbedder;
  textMode: TextMode;
}

/**
 * Null when the pack fits the target, else a PackError('embedder') saying what differs and what
 * to do (switch the embedder or the document text, or re-embed the pack's examples).
 */
export function packMismatch(header: PackHeader, want: PackTarget): PackError | null {
  const e = header.embedder;
  const w = want.embedder;
  const problems: string[] = [];
  if (e.id !== w.id || e.dtype !== w.dtype || e.dim !== w.dim)
    problems.push(`was built with ${describeEmbedder(e)}, you use ${describeEmbedder(w)}`);
  if (header.textMode !== want.textMode)
    problems.push(`embeds the document text "${header.textMode}", you use "${want.textMode}"`);
  if (!problems.length) return null;
  return new PackError(
    `this pack ${problems.join(' and ')}: switch to match it, or re-embed its examples with yours`,
    'embedder',
  );
}

/** The identities of the indexes a pack restores (the same as an embedded build would give). */
export function packIndexMetas(pack: Pack, slot: string, kind: IndexKind): { primary: IndexMeta; masked?: IndexMeta } {
  const { header } = pack;
  const primary: IndexMeta = {
    slot,
    embedderId: header.embedder.id,
    dtype: header.embedder.dtype,
    dim: header.embedder.dim,
    corpusHash: header.corpusHash,
    count: header.count,
    kind,
    textMode: pack.primary.textMode,
  };
  return pack.masked
    ? { primary, masked: { ...primary, slot: `${slot}#masked`, textMode: 'masked-question' } }
    : { primary };
}

export interface RestorePackOptions {
  /** The index slot (the corpus name in the app). */
  slot: string;
  kind: IndexKind;
  /** Checked before each build; a cancel after the primary build undoes nothing stored (the slot is the pack's own). */
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  /** Also restore the masked-question index (when the pack has it). Default true. */
  masked?: boolean;
}

export interface RestoredPack {
  primary: IndexRecord;
  masked?: IndexRecord;
}

/** Build the pack's indexes through the index seam (no embedding); each is saved and activated by `build`. */
export async function restorePackIndexes(
  index: Pick<IndexServiceApi, 'build'>,
  pack: Pack,
  o: RestorePackOptions,
): Promise<RestoredPack> {
  const metas = packIndexMetas(pack, o.slot, o.kind);
  const sets = [{ meta: metas.primary, v: pack.primary }];
  if (metas.masked && pack.masked && o.masked !== false) sets.push({ meta: metas.masked, v: pack.masked });
  const total = sets.length;
  const out: IndexRecord[] = [];
  for (let i = 0; i < sets.length; i++) {
    if (o.signal?.aborted) throw new CancelledError();
    const { meta, v } = sets[i];
    o.onProgress?.({ phase: `Restoring the ${meta.textMode} index from the pack`, done: i, total });
    const t0 = performance.now();
    const vectors = packFloatVectors(v, meta.dim);
    out.push(await index.build(meta, vectors, performance.now() - t0));
  }
  o.onProgress?.({ phase: 'Restored from the pack', done: total, total });
  return out[1] ? { primary: out[0], masked: out[1] } : { primary: out[0] };
}
