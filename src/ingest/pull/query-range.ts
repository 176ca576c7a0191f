/**
 * One call to Prometheus' HTTP API `POST /api/v1/query_range` (form-encoded `query`, `start`,
 * `end`, `step`, `timeout`; times in unix seconds). The answer is validated: a matrix of
 * `{metric, values: [[seconds, "value"], ...]}`, or `status: "error"` with `errorType` and
 * `error`, which Prometheus sends with 4xx/5xx statuses (bad_data 400, execution 422,
 * timeout 503). Every failure is a PullError with a bounded reason.
 */
import { z } from 'zod';
import type { MatrixSeries } from './pulled-samples.js';
import { PullError, fetchFailure } from './pull-error.js';
import { readBounded } from './read-bounded.js';
import type { TimeRange } from './query-windows.js';

export interface QueryRangeRequest {
  /** Prometheus base URL (`http://prometheus:9090`, or with a path prefix). */
  readonly url: string;
  readonly query: string;
  readonly range: TimeRange;
  readonly stepMs: number;
  readonly timeoutMs: number;
  readonly bearerToken?: string | undefined;
  /** Largest answer, bytes; a larger one fails the call (`too_large`). */
  readonly maxBytes: number;
}

const answerSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.object({
      resultType: z.literal('matrix'),
      result: z.array(
        z.object({
          metric: z.record(z.string(), z.string()),
          values: z.array(z.tuple([z.number(), z.string()])).default([]),
        }),
      ),
    }),
  }),
  z.object({
    status: z.literal('error'),
    errorType: z.string().optional(),
    error: z.string().optional(),
  }),
]);

export function queryRangeUrl(base: string): string {
  return `${base.replace(/\/+$/, '')}/api/v1/query_range`;
}

export async function queryRange(req: QueryRangeRequest): Promise<MatrixSeries[]> {
  const body = new URLSearchParams({
    query: req.query,
    start: String(req.range.from / 1000),
    end: String(req.range.to / 1000),
    step: String(req.stepMs / 1000),
    timeout: `${Math.max(1, Math.floor(req.timeoutMs / 1000))}s`,
  });
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (req.bearerToken !== undefined) headers.authorization = `Bearer ${req.bearerToken}`;
  const url = queryRangeUrl(req.url);
  let status: number;
  let text: string;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    status = res.status;
    text = await readBounded(res.body, req.maxBytes, 'query_range');
  } catch (err) {
    throw fetchFailure(err, `query_range ${url}`, req.timeoutMs);
  }
  return parseQueryRangeAnswer(status, text, url);
}

/**
 * The series of a query_range answer (HTTP `status`, body `text`), or a PullError: an API
 * error (`status: "error"`, whatever the HTTP status), a non-2xx status, or a 2xx body that is
 * not a matrix. Pure; never throws anything else.
 */
export function parseQueryRangeAnswer(status: number, text: string, url: string): MatrixSeries[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const answer = answerSchema.safeParse(json);
  if (answer.success && answer.data.status === 'error') {
    const { errorType = 'unknown', error = '' } = answer.data;
    throw new PullError(
      'api_error',
      `Prometheus refused the query (${status}, ${errorType}): ${error.slice(0, 300)}`,
    );
  }
  if (status < 200 || status > 299) {
    throw new PullError('http_status', `query_range ${url} answered ${status}`);
  }
  if (!answer.success || answer.data.status !== 'success') {
    throw new PullError('bad_response', `query_range ${url} did not answer a matrix`);
  }
  return answer.data.data.result;
}
