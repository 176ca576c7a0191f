/**
 * A pino logger whose JSON lines the test reads back: `lines` holds each line parsed, in order.
 */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly time: number;
  readonly [field: string]: unknown;
}

/** pino's levels as numbers, for filters such as `lines.filter((l) => l.level >= LEVEL.warn)`. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export function logLines(level: keyof typeof LEVEL = 'info'): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n'))
        if (l !== '') lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  return { log: pino({ level }, sink), lines };
}
