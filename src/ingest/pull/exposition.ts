/**
 * Parses a scraped `/metrics` body: the Prometheus text format 0.0.4 and OpenMetrics 1.0.
 * Pure: no I/O, no clock. Like Prometheus, a body that breaks the grammar fails as a whole
 * (an ExpositionError naming the line), since a half-read scrape would look like series that
 * vanished. What each format allows, as Prometheus' own parsers (textparse) read it:
 * - `# TYPE` (counter, gauge, histogram, summary, untyped; OpenMetrics adds gaugehistogram,
 *   stateset, info, unknown) types a family, `# UNIT` (OpenMetrics) gives its unit; `# HELP`
 *   and other comments are skipped.
 * - `name{label="value",...} value [timestamp]`: label values escape `\\`, `\"` and `\n`;
 *   values may be `NaN`, `+Inf`, `-Inf`; timestamps are integer ms in the text format and
 *   (fractional) seconds in OpenMetrics, where a sample may carry an exemplar (` # {...} v`).
 * - OpenMetrics ends with `# EOF`, and a counter family `foo` exposes `foo_total` and
 *   `foo_created`.
 */

export type ExpositionFormat = 'prometheus' | 'openmetrics';

export type FamilyType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'stateset'
  | 'info'
  | 'untyped';

export interface ExposedSample {
  /** The sample's own name (`http_requests_total`, `latency_bucket`). */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** Milliseconds since epoch when the sample carried a timestamp. */
  readonly ts?: number;
  /** The family's type from `# TYPE`, `untyped` when none was given. */
  readonly type: FamilyType;
  /** The name of the family the sample belongs to. */
  readonly family: string;
  /** The family's unit from `# UNIT` (OpenMetrics), when given. */
  readonly unit?: string;
}

/** A body that is not valid exposition text. */
export class ExpositionError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'ExpositionError';
    this.line = line;
  }
}

/** The format a scrape answered in, by its Content-Type (the text format when unsure). */
export function formatOf(contentType: string | null | undefined): ExpositionFormat {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  return media === 'application/openmetrics-text' ? 'openmetrics' : 'prometheus';
}

const TYPES: Readonly<Record<ExpositionFormat, ReadonlySet<string>>> = {
  prometheus: new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']),
  openmetrics: new Set([
    'counter',
    'gauge',
    'histogram',
    'gaugehistogram',
    'summary',
    'stateset',
    'info',
    'unknown',
  ]),
};

/** Suffixes a family's samples may carry, per family type. */
const SUFFIXES: Readonly<Partial<Record<FamilyType, readonly string[]>>> = {
  counter: ['_total', '_created'],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  gaugehistogram: ['_bucket', '_gcount', '_gsum'],
  summary: ['_count', '_sum', '_created'],
  info: ['_info'],
};

const METRIC_NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL: Readonly<Record<string, number>> = {
  nan: NaN,
  '+nan': NaN,
  '-nan': NaN,
  inf: Infinity,
  '+inf': Infinity,
  '-inf': -Infinity,
};

/** A float as Prometheus writes one (Go's ParseFloat: decimal, exponent, NaN, ±Inf). */
export function parseFloatValue(raw: string): number | undefined {
  if (FLOAT.test(raw)) return Number(raw);
  return SPECIAL[raw.toLowerCase()];
}

function isBlank(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

/** Parses `{a="1",b="2"}` from `start` (just after `{`); returns the index after `}`. */
function parseLabels(
  line: string,
  start: number,
  labels: Record<string, string>,
  lineNo: number,
  format: ExpositionFormat,
): number {
  let i = start;
  for (;;) {
    while (isBlank(line[i])) i++;
    if (line[i] === '}') return i + 1;
    LABEL_NAME.lastIndex = i;
    const name = LABEL_NAME.exec(line)?.[0];
    if (name === undefined)
      throw new ExpositionError(lineNo, `invalid label name at column ${i + 1}`);
    i += name.length;
    while (isBlank(line[i])) i++;
    if (line[i] !== '=') throw new ExpositionError(lineNo, `expected = after label ${name}`);
    i++;
    while (isBlank(line[i])) i++;
    if (line[i] !== '"') throw new ExpositionError(lineNo, `label ${name}: value must be quoted`);
    i++;
    let value = '';
    let from = i;
    for (;;) {
      const c = line[i];
      if (c === undefined) throw new ExpositionError(lineNo, `label ${name}: unterminated value`);
      if (c === '"') break;
      if (c === '\\') {
        const e = line[i + 1];
        let unescaped = e === 'n' ? '\n' : e === '\\' || e === '"' ? e : undefined;
        if (unescaped === undefined) {
          // Prometheus keeps an unknown escape of the text format as written (C:\temp);
          // OpenMetrics allows only \\, \" and \n.
          if (format === 'openmetrics' || e === undefined) {
            throw new ExpositionError(lineNo, `label ${name}: invalid escape \\${e ?? ''}`);
          }
          unescaped = `\\${e}`;
        }
        value += line.slice(from, i) + unescaped;
        i += 2;
        from = i;
        continue;
      }
      i++;
    }
    value += line.slice(from, i);
    i++;
    if (Object.hasOwn(labels, name)) throw new ExpositionError(lineNo, `label ${name} twice`);
    labels[name] = value;
    while (isBlank(line[i])) i++;
    if (line[i] === ',') {
      i++;
      continue;
    }
    if (line[i] === '}') return i + 1;
    throw new ExpositionError(lineNo, `expected , or } after label ${name}`);
  }
}

function parseTimestamp(raw: string, format: ExpositionFormat, lineNo: number): number {
  if (format === 'prometheus') {
    if (!/^-?\d{1,16}$/.test(raw)) {
      throw new ExpositionError(lineNo, `timestamp must be integer ms, got ${raw.slice(0, 40)}`);
    }
    return Number(raw);
  }
  const seconds = FLOAT.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(seconds) || Math.abs(seconds) > 1e13) {
    throw new ExpositionError(lineNo, `timestamp must be seconds, got ${raw.slice(0, 40)}`);
  }
  return Math.round(seconds * 1000);
}

/** The family a sample name belongs to, given the families typed so far. */
function familyOf(
  name: string,
  types: ReadonlyMap<string, FamilyType>,
): { family: string; type: FamilyType } {
  const own = types.get(name);
  if (own !== undefined) return { family: name, type: own };
  for (const [type, suffixes] of Object.entries(SUFFIXES) as [FamilyType, string[]][]) {
    for (const suffix of suffixes) {
      if (!name.endsWith(suffix)) continue;
      const family = name.slice(0, -suffix.length);
      if (types.get(family) === type) return { family, type };
    }
  }
  return { family: name, type: 'untyped' };
}

function parseComment(
  line: string,
  format: ExpositionFormat,
  types: Map<string, FamilyType>,
  lineNo: number,
  units: Map<string, string>,
): void {
  const unit = /^#[ \t]+UNIT[ \t]+(\S+)[ \t]+(\S+)[ \t]*$/.exec(line);
  if (unit !== null) {
    // The signal's kind reads it (a histogram of seconds is latency); a malformed one is skipped.
    units.set(unit[1] ?? '', unit[2] ?? '');
    return;
  }
  const m = /^#[ \t]+TYPE[ \t]+(\S+)[ \t]+(\S+)[ \t]*$/.exec(line);
  if (m === null) {
    if (/^#[ \t]+TYPE(?:[ \t]|$)/.test(line)) throw new ExpositionError(lineNo, 'malformed TYPE');
    return; // HELP and free comments carry nothing we score
  }
  const [, family = '', rawType = ''] = m;
  METRIC_NAME.lastIndex = 0;
  if (METRIC_NAME.exec(family)?.[0] !== family) {
    throw new ExpositionError(lineNo, `invalid metric name in TYPE: ${family.slice(0, 60)}`);
  }
  if (!TYPES[format].has(rawType)) {
    throw new ExpositionError(lineNo, `unknown type ${rawType.slice(0, 20)} for ${family}`);
  }
  if (types.has(family)) throw new ExpositionError(lineNo, `second TYPE line for ${family}`);
  types.set(family, rawType === 'unknown' ? 'untyped' : (rawType as FamilyType));
}

function parseSample(
  line: string,
  format: ExpositionFormat,
  types: ReadonlyMap<string, FamilyType>,
  lineNo: number,
  units: ReadonlyMap<string, string>,
): ExposedSample {
  METRIC_NAME.lastIndex = 0;
  const name = METRIC_NAME.exec(line)?.[0];
  if (name === undefined) throw new ExpositionError(lineNo, 'expected a metric name');
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  let i = name.length;
  // The text format allows blanks between the name and its labels.
  if (format === 'prometheus') {
    let j = i;
    while (isBlank(line[j])) j++;
    if (line[j] === '{') i = j;
  }
  if (line[i] === '{') i = parseLabels(line, i + 1, labels, lineNo, format);
  if (!isBlank(line[i])) throw new ExpositionError(lineNo, `expected a value after ${name}`);
  let rest = line.slice(i);
  if (format === 'openmetrics') {
    const exemplar = rest.indexOf(' # ');
    if (exemplar >= 0) rest = rest.slice(0, exemplar);
  }
  const fields = rest.trim().split(/[ \t]+/);
  if (fields.length > 2 || fields[0] === '') {
    throw new ExpositionError(lineNo, `expected "value [timestamp]" after ${name}`);
  }
  const value = parseFloatValue(fields[0] ?? '');
  if (value === undefined) {
    throw new ExpositionError(lineNo, `invalid value ${(fields[0] ?? '').slice(0, 40)}`);
  }
  const rawTs = fields[1];
  const { family, type } = familyOf(name, types);
  const unit = units.get(family);
  const sample = {
    name,
    labels: { ...labels },
    value,
    type,
    family,
    ...(unit === undefined ? {} : { unit }),
  };
  return rawTs === undefined ? sample : { ...sample, ts: parseTimestamp(rawTs, format, lineNo) };
}

/**
 * Every sample of an exposition body, in order. Throws ExpositionError (and nothing else) on
 * a body that breaks the format, or that holds more than `maxSamples` samples.
 */
export function parseExposition(
  text: string,
  format: ExpositionFormat,
  maxSamples = Number.POSITIVE_INFINITY,
): ExposedSample[] {
  const lines = text.split('\n');
  // A final newline ends the last line rather than starting an empty one.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const types = new Map<string, FamilyType>();
  const units = new Map<string, string>();
  const samples: ExposedSample[] = [];
  let eof = false;
  for (let n = 0; n < lines.length; n++) {
    let raw = lines[n] as string;
    // CRLF line ends (Windows exporters) end a line as LF does.
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    const lineNo = n + 1;
    // The text format allows blanks before a line; OpenMetrics does not.
    const line = format === 'prometheus' ? raw.replace(/^[ \t]+/, '') : raw;
    if (eof) throw new ExpositionError(lineNo, 'content after # EOF');
    if (format === 'openmetrics' && line === '# EOF') {
      eof = true;
      continue;
    }
    if (line.trim() === '') {
      if (format === 'openmetrics') throw new ExpositionError(lineNo, 'empty line');
      continue;
    }
    if (line.startsWith('#')) {
      parseComment(line, format, types, lineNo, units);
      continue;
    }
    if (samples.length >= maxSamples) {
      throw new ExpositionError(lineNo, `more than ${maxSamples} samples`);
    }
    samples.push(parseSample(line, format, types, lineNo, units));
  }
  if (format === 'openmetrics' && !eof) {
    throw new ExpositionError(lines.length, 'OpenMetrics body does not end with # EOF');
  }
  return samples;
}
