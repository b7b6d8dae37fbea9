/** Query-side adapter training: one import for hosts (the training worker, the CLI). */
export * from './adapter.ts';
export * from './base64.ts';
export * from './dataset.ts';
export * from './evaluate.ts';
export * from './mnrl.ts';
export * from './pairs.ts';
export * from './split.ts';
export * from './sql-rewrite.ts';
export * from './trainer.ts';
