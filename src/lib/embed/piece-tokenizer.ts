/**
 * The teacher's own tokenizer for the static encoder: transformers.js `AutoTokenizer` from the
 * same model folder (local base or Hub, as configured by `applyTransformersConfig`), wrapped as a
 * `PieceTokenizer` (ids without special tokens, the vocabulary by id, the non-text ids).
 */
import type { PieceTokenizer } from './static-encoder.ts';
import { ModelLoadError } from '../errors.ts';

type Transformers = typeof import('@huggingface/transformers');

interface TokenizerLike {
  encode(text: string, opts?: { add_special_tokens?: boolean }): number[];
  get_vocab(): Map<string, number> | Record<string, number>;
  all_special_ids?: number[];
  unk_token_id?: number | null;
  pad_token_id?: number | null;
}

/** Control pieces of SentencePiece vocabularies that are not text. */
const CONTROL = /^(<[^<>\s]+>|extra_token_id_\d+|\[[A-Z]+\])$/;

/** Wrap a loaded transformers.js tokenizer. */
export function pieceTokenizerFrom(tok: TokenizerLike): PieceTokenizer {
  const raw = tok.get_vocab();
  const entries: [string, number][] = raw instanceof Map ? [...raw.entries()] : Object.entries(raw);
  let size = 0;
  for (const [, id] of entries) size = Math.max(size, id + 1);
  const vocab: string[] = new Array<string>(size).fill('');
  for (const [piece, id] of entries) vocab[id] = piece;
  const special = new Set<number>(tok.all_special_ids ?? []);
  for (const id of [tok.unk_token_id, tok.pad_token_id]) if (typeof id === 'number') special.add(id);
  vocab.forEach((piece, id) => {
    if (CONTROL.test(piece) || piece === '\ufffd') special.add(id);
  });
  return {
    encode: (text) => tok.encode(text, { add_special_tokens: false }),
    vocab,
    specialIds: [...special].sort((a, b) => a - b),
  };
}

/** Load the tokenizer of embedder `modelId` through transformers.js. */
export async function loadPieceTokenizer(tf: Transformers, modelId: string): Promise<PieceTokenizer> {
  try {
    const tok = await tf.AutoTokenizer.from_pretrained(modelId);
    return pieceTokenizerFrom(tok as unknown as TokenizerLike);
  } catch (e) {
    throw new ModelLoadError(modelId, e);
  }
}
