/**
 * One scrape of a `/metrics` target, as Prometheus does it: OpenMetrics preferred, the text
 * format 0.0.4 accepted (the Accept header below), a timeout, a bounded body. A failed scrape
 * is a PullError with a bounded reason (the target is "down").
 */
import { ExpositionError, formatOf, parseExposition, type ExposedSample } from './exposition.js';
import { PullError, fetchFailure } from './pull-error.js';
import { readBounded } from './read-bounded.js';

export const SCRAPE_ACCEPT =
  'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5';

export interface ScrapeRequest {
  readonly url: string;
  readonly timeoutMs: number;
  /** Largest body, bytes; a larger one fails the scrape. */
  readonly maxBytes: number;
  /** Samples per scrape at most; more fails the scrape. */
  readonly maxSamples: number;
}

export async function scrape(req: ScrapeRequest): Promise<ExposedSample[]> {
  let text: string;
  let contentType: string | null;
  try {
    const res = await fetch(req.url, {
      headers: { accept: SCRAPE_ACCEPT },
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new PullError('http_status', `scrape ${req.url} answered ${res.status}`);
    }
    contentType = res.headers.get('content-type');
    text = await readBounded(res.body, req.maxBytes, 'scrape');
  } catch (err) {
    throw fetchFailure(err, `scrape ${req.url}`, req.timeoutMs);
  }
  try {
    return parseExposition(text, formatOf(contentType), req.maxSamples);
  } catch (err) {
    if (err instanceof ExpositionError) {
      throw new PullError('bad_response', `scrape ${req.url}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}
