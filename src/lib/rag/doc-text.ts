/**
 * What text stands for an example in the index. CodeRAG embeds "schema context + SQL"; a
 * question-to-question match is the other natural choice; 'mix' joins both. The default is
 * chosen from measured retrieval metrics (see README, Evaluation).
 */
import type { Example, TableInfo } from '../types.ts';
import { compactSchema, oneLine } from '../llm/prompts.ts';
import { maskQuestion } from '../retrieve/mask.ts';

export type TextMode = 'question' | 'schema+sql' | 'question+sql' | 'mix' | 'masked-question';

export const TEXT_MODES: { id: TextMode; label: string }[] = [
  { id: 'question', label: 'Question only' },
  { id: 'schema+sql', label: 'Schema context + SQL (CodeRAG)' },
  { id: 'question+sql', label: 'Question + SQL' },
  { id: 'mix', label: 'Question + SQL + schema' },
];

export const DEFAULT_TEXT_MODE: TextMode = 'question';

/** Schema text for an example: its own context, else the corpus schema of its database. */
export function exampleSchemaText(ex: Example, schemas?: Record<string, TableInfo[]>): string {
  if (ex.dbId && schemas?.[ex.dbId]) return compactSchema(schemas[ex.dbId]);
  return ex.schema ? oneLine(ex.schema) : '';
}

export function docText(ex: Example, mode: TextMode, schemas?: Record<string, TableInfo[]>): string {
  switch (mode) {
    case 'question':
      return oneLine(ex.question);
    case 'schema+sql':
      return `${exampleSchemaText(ex, schemas)}\n${oneLine(ex.sql)}`.trim();
    case 'question+sql':
      return `${oneLine(ex.question)}\n${oneLine(ex.sql)}`;
    case 'masked-question':
      // For the second index of the masked retrieval strategies (src/lib/retrieve/).
      return maskQuestion(oneLine(ex.question), ex.dbId ? schemas?.[ex.dbId] : undefined);
    case 'mix':
      // The question and SQL first: short-context embedders truncate the tail (the schema).
      return `${oneLine(ex.question)}\n${oneLine(ex.sql)}\n${exampleSchemaText(ex, schemas)}`.trim();
  }
}
