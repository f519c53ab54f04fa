// JSONL reading with line numbers. Each line is validated as it is read; a bad line stops loading and names its line.
// The one exception is a last line without its newline that does not parse: a run that crashed mid-write leaves one,
// so it is reported as a warning and skipped.
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** Input that cannot be checked: which file, which line (1-based, 0 if none), and why. */
export class LoadError extends Error {
  override readonly name = 'LoadError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${reason}` : `${file}: ${reason}`);
  }
}

export interface Parsed<T> {
  records: T[];
  /** The 1-based line number of each record. */
  lines: number[];
  warnings: string[];
}

/** Turns a parsed JSON value into a record; `position` is the count of records before it. Throws on a bad shape. */
export type LineParser<T> = (raw: unknown, position: number) => T;

class Reader<T> {
  readonly out: Parsed<T> = { records: [], lines: [], warnings: [] };
  constructor(
    private readonly file: string,
    private readonly parse: LineParser<T>,
  ) {}

  line(text: string, lineNo: number, terminated: boolean): void {
    if (text.trim() === '') return;
    let record: T;
    try {
      record = this.parse(JSON.parse(text), this.out.records.length);
    } catch (err) {
      const reason = err instanceof SyntaxError ? `not valid JSON (${err.message})` : (err as Error).message;
      if (!terminated) {
        this.out.warnings.push(`${this.file}:${lineNo}: truncated last line skipped (${reason})`);
        return;
      }
      throw new LoadError(this.file, lineNo, reason);
    }
    this.out.records.push(record);
    this.out.lines.push(lineNo);
  }
}

/** Parses JSONL text (for tests and small inputs). */
export function parseJsonl<T>(text: string, file: string, parse: LineParser<T>): Parsed<T> {
  const reader = new Reader(file, parse);
  const parts = text.split('\n');
  parts.forEach((part, i) => {
    reader.line(part.replace(/\r$/, ''), i + 1, i < parts.length - 1);
  });
  return reader.out;
}

/** A whole JSON file (config.json, results.json): undefined when it does not exist, a LoadError when it is not JSON. */
export function readJsonFile(path: string): unknown {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new LoadError(path, 0, `not valid JSON (${(err as Error).message})`);
  }
}

const CHUNK_BYTES = 1 << 20;

/** Reads a JSONL file in 1 MiB chunks, so a million-op history never exists as one string. */
export function readJsonl<T>(path: string, parse: LineParser<T>): Parsed<T> {
  const reader = new Reader(path, parse);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new LoadError(path, 0, `cannot open: ${(err as Error).message}`);
  }
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    const decoder = new StringDecoder('utf8');
    let carry = '';
    let lineNo = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK_BYTES, null);
      if (n === 0) break;
      const text = carry + decoder.write(buffer.subarray(0, n));
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        reader.line(text.slice(start, nl).replace(/\r$/, ''), ++lineNo, true);
        start = nl + 1;
      }
      carry = text.slice(start);
    }
    carry += decoder.end();
    if (carry !== '') reader.line(carry, ++lineNo, false);
  } finally {
    closeSync(fd);
  }
  return reader.out;
}
