export * from './exec.ts';
export * from './foreign-keys.ts';
export * from './link.ts';
export * from './values.ts';
export * from './words.ts';
