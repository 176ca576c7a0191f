/**
 * Splits a request body into candidate records. JSON: one record or an array of records.
 * NDJSON: one record per line; a bad line is rejected on its own and the rest are kept.
 * `text/plain` is not accepted: browsers send it cross-origin without a preflight, so taking
 * it would let any web page post samples to a worker on localhost.
 */
export type BodyItem =
  | { readonly at: number; readonly ok: true; readonly value: unknown }
  | { readonly at: number; readonly ok: false; readonly message: string };

export const BodyFormat = { Json: 'json', Ndjson: 'ndjson' } as const;
export type BodyFormat = (typeof BodyFormat)[keyof typeof BodyFormat];

/** Picks the format from a Content-Type; undefined when unsupported. */
export function bodyFormatOf(contentType: string | undefined): BodyFormat | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/json') return 'json';
  if (
    type === 'application/x-ndjson' ||
    type === 'application/ndjson' ||
    type === 'application/jsonl' ||
    type === 'application/x-jsonlines'
  ) {
    return 'ndjson';
  }
  return undefined;
}

/**
 * Yields the body's records one at a time (NDJSON is split lazily, so a huge body is never
 * held twice). For JSON: throws SyntaxError when the whole body is not JSON (nothing can be
 * kept); an empty or blank body yields nothing.
 */
export function* bodyItems(text: string, format: BodyFormat): Generator<BodyItem> {
  if (format === 'json') {
    // An empty body holds no records, as an empty NDJSON body does (not a JSON syntax error).
    if (text.trim() === '') return;
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) yield { at: i, ok: true, value: value[i] as unknown };
    } else {
      yield { at: 0, ok: true, value };
    }
    return;
  }
  let line = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    line += 1;
    const chunk = text.slice(start, end).trim();
    if (chunk !== '') {
      try {
        yield { at: line, ok: true, value: JSON.parse(chunk) as unknown };
      } catch (err) {
        // The line is in `at`: the answer puts it before the message, once.
        yield { at: line, ok: false, message: (err as Error).message };
      }
    }
    start = end + 1;
  }
}

/** All items at once (tests and small bodies). */
export function splitBody(text: string, format: BodyFormat): BodyItem[] {
  return [...bodyItems(text, format)];
}
