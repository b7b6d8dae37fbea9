/**
 * The prompt format registry, keyed by the `PromptFormat` union (one file per family, in the
 * spirit of transformers.js `SUPPORTED_TASKS`). The model registry (config.ts) names a format per
 * model; everything else asks this registry what a format can do instead of comparing names.
 */
import type { PromptFormat } from '../../config.ts';
import type { PromptFormatRecord } from './format.ts';
import { chatml } from './chatml.ts';
import { instant } from './instant.ts';
import { mistralInst } from './mistral-inst.ts';
import { plain } from './plain.ts';
import { tinySql } from './tiny-sql.ts';

export type { PromptFormatRecord } from './format.ts';

export const PROMPT_FORMATS: { readonly [F in PromptFormat]: PromptFormatRecord<F> } = {
  'tiny-sql': tinySql,
  'mistral-inst': mistralInst,
  chatml,
  plain,
  instant,
};

/** Every format id, in registry order. */
export const PROMPT_FORMAT_IDS = Object.keys(PROMPT_FORMATS) as PromptFormat[];

export function isPromptFormat(value: unknown): value is PromptFormat {
  return typeof value === 'string' && Object.hasOwn(PROMPT_FORMATS, value);
}

/** The record of a format. */
export function promptFormat(id: PromptFormat): PromptFormatRecord {
  const f: PromptFormatRecord | undefined = PROMPT_FORMATS[id];
  if (!f) throw new Error(`unknown prompt format "${id}"; known: ${PROMPT_FORMAT_IDS.join(', ')}`);
  return f;
}
