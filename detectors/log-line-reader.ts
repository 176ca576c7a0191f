/**
 * One log line as the template miner should see it: the message to mine and the level the line
 * carried. The live log stage and `aiops-worker templates --format raw` read lines through it.
 *
 * - A logfmt or JSON record (log-structured.ts) is mined by its keys and its message field;
 *   values are variables unless their key is in `templateKeys`.
 * - Otherwise the stream's header (timestamps, level, pid, thread, logger; log-header.ts) is
 *   learned from its first lines and stripped; a logfmt record after a header is read as one.
 *
 * One reader per stream (a service's logs): the header layout is the stream's own. Pure.
 */
import { LogHeaderLearner } from './log-header.js';
import { readStructured } from './log-structured.js';

export interface LogLine {
  /** What to mine. */
  readonly message: string;
  /** The level the line carried (record field or header), lower-case; undefined if none. */
  readonly level?: string;
}

export interface LogLineReaderOptions {
  /** Keys of logfmt/JSON records whose values are part of the template. */
  readonly templateKeys?: ReadonlySet<string> | undefined;
}

export class LogLineReader {
  private readonly templateKeys: ReadonlySet<string> | undefined;
  private readonly header: LogHeaderLearner;

  constructor(options: LogLineReaderOptions = {}, header = new LogHeaderLearner()) {
    this.templateKeys = options.templateKeys;
    this.header = header;
  }

  read(line: string): LogLine {
    // A JSON record is the whole line; a logfmt record may follow a header.
    if (line.charCodeAt(0) === 123 /* { */) {
      const whole = readStructured(line, this.templateKeys);
      if (whole !== undefined) return whole;
    }
    const split = this.header.split(line);
    const record = readStructured(split.message, this.templateKeys);
    if (record === undefined) return split;
    return record.level !== undefined || split.level === undefined
      ? record
      : { message: record.message, level: split.level };
  }

  /** The learned header layout (small, JSON-able). */
  encode(): unknown {
    return this.header.encode();
  }

  /** A reader continuing from `encode()`'s state; throws a RangeError on anything else. */
  static decode(state: unknown, options: LogLineReaderOptions = {}): LogLineReader {
    return new LogLineReader(options, LogHeaderLearner.decode(state));
  }
}
