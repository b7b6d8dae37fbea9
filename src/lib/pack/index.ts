/** Corpus packs: a corpus with its vectors, ready to search with no embedding (docs/packs.md). */
export * from './format.ts';
export { crc32, crc32Hex } from './crc32.ts';
export { writePack, examplesJson, quantizeAll, type PackInput, type PackVectorInput } from './write.ts';
export {
  readPack,
  readPackHeader,
  packFloatVectors,
  decodePackVectors,
  packBuffers,
  readPackHere,
  type PackReader,
  type Pack,
  type PackVectors,
  type ReadPackOptions,
} from './read.ts';
export {
  packMismatch,
  packIndexMetas,
  restorePackIndexes,
  type PackTarget,
  type RestorePackOptions,
  type RestoredPack,
} from './restore.ts';
