/** A file that cannot be imported (not readable, no data, mostly malformed). */
export { ImportError } from '../errors.ts';
