/**
 * The `http` action: POSTs one CloudEvents 1.0 structured event
 * (`io.aiops-worker.remediation.run`, id = the run's idempotency key) to the configured URL,
 * signed per Standard Webhooks as the webhook receiver signs (notify/receiver-requests.ts) when
 * a secret is set. The URL comes from config only: nothing in the incident can redirect the
 * request, and redirects are not followed.
 */
import type { HookAction } from '../../config/schema-remediation.js';
import { signStandardWebhook } from '../../http/standard-webhooks.js';
import type { Action, ActionRun } from './action.js';

type HttpActionConfig = Extract<HookAction, { type: 'http' }>;

export interface HttpActionDeps {
  /** The worker's external URL: the CloudEvent's `source`. */
  readonly externalUrl: string;
  /** Defaults to the global fetch (tests pass their own). */
  readonly fetch?: typeof fetch | undefined;
}

/** How much of an answer is read: enough for the 200 characters of `detail`, never the rest. */
const ANSWER_READ_BYTES = 1024;
const ANSWER_CHARS = 200;
const ERROR_CHARS = 300;

/** The CloudEvent's JSON body for `run`. */
export function remediationEvent(run: ActionRun, externalUrl: string): string {
  return JSON.stringify({
    specversion: '1.0',
    id: run.idempotencyKey,
    source: externalUrl,
    type: 'io.aiops-worker.remediation.run',
    subject: run.incident.id,
    time: new Date(run.nowMs).toISOString(),
    datacontenttype: 'application/json',
    data: {
      hook: run.hook,
      target: run.target,
      idempotency_key: run.idempotencyKey,
      incident: run.incident,
    },
  });
}

/** The first bytes of an answer; the rest is cancelled so a huge answer costs nothing. */
async function answerHead(res: Response): Promise<string> {
  if (!res.body) return '';
  // Node's typings leave the chunk type open; a fetch body yields bytes.
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ANSWER_READ_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut short (timeout, reset) still leaves the status, which is what counts.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, ANSWER_CHARS);
}

/** A fetch failure in words: undici hides the socket error under `cause`. */
function failure(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `timed out after ${timeoutMs} ms`;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return `${e.message}${cause}`.slice(0, ERROR_CHARS);
}

/**
 * An `http` action. 2xx is ok; 429, 5xx, a network error or a timeout may pass later
 * (retryable); any other answer (4xx, 3xx) is final. Nothing to close.
 */
export function httpAction(
  cfg: HttpActionConfig,
  deps: HttpActionDeps,
): { readonly run: Action; close(): Promise<void> } {
  const doFetch = deps.fetch ?? fetch;
  const run: Action = async (r) => {
    const body = remediationEvent(r, deps.externalUrl);
    const headers: Record<string, string> = {
      'content-type': 'application/cloudevents+json',
      // The receiver deduplicates on this: a run retried after a crash sends the same key.
      'idempotency-key': r.idempotencyKey,
    };
    if (cfg.secret) {
      const ts = Math.floor(r.nowMs / 1000);
      headers['webhook-id'] = r.idempotencyKey;
      headers['webhook-timestamp'] = String(ts);
      headers['webhook-signature'] = signStandardWebhook(cfg.secret, r.idempotencyKey, ts, body);
    }
    let res: Response;
    let answer: string;
    try {
      res = await doFetch(cfg.url, {
        method: 'POST',
        headers,
        body,
        // A redirect would send the event somewhere the config does not name.
        redirect: 'manual',
        signal: AbortSignal.timeout(cfg.timeout_ms),
      });
      answer = await answerHead(res);
    } catch (err) {
      return { ok: false, retryable: true, detail: failure(err, cfg.timeout_ms) };
    }
    const detail = `HTTP ${res.status}: ${answer}`;
    if (res.ok) return { ok: true, detail };
    return { ok: false, retryable: res.status === 429 || res.status >= 500, detail };
  };
  return { run, close: () => Promise.resolve() };
}
