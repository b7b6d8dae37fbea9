/** Corpus loaders: Spider, gretel (parquet/JSONL/CSV/JSON), the demo corpus, and format detection. */
export { parseCsv, toCsv, type CsvParseResult, type CsvRecord } from './csv.ts';
export { corpusHash, fnv1a64Hex } from './hash.ts';
export { CorpusFormatError } from './records.ts';
export {
  parseSpiderTables,
  schemaDdl,
  parseSpiderQuestions,
  parseSpiderCsv,
  attachSchemas,
  type SpiderLoadOptions,
} from './spider.ts';
export {
  parseGretelJsonl,
  parseGretelCsv,
  parseGretelParquet,
  parseGretelRecords,
  type GretelLoadOptions,
} from './gretel.ts';
export { parseDemoCorpus, parseQuestionJsonl, type QuestionJsonlOptions } from './demo.ts';
export { loadCorpusFile, type CorpusFormat, type LoadCorpusExtra } from './detect.ts';
