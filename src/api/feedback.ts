/**
 * Feedback on an incident, as data: the request bodies (zod), the suppression a false positive
 * creates, and the stored entry with the incident's period and whether it may be learned from.
 * Pure, so `replay` users (and the tests) build a suppression exactly as the route does.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { formatIssue } from '../config/format-path.js';
import type { Suppression } from '../detect/suppressions.js';
import { newSuppressionId } from '../detect/suppression-store.js';
import { AiopsError } from '../errors.js';
import { LogSignals } from '../logs/log-service-state.js';
import { seriesKey } from '../queues/series-key.js';
import { glob } from '../util/glob.js';

export const VERDICTS = ['false_positive', 'true_positive'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const NOTE_MAX = 2000;
const BY = /^[\w.@ -]{1,64}$/;
/** A year: a suppression meant for longer should be removed by hand when it is done. */
const MAX_EXPIRES_IN_MS = 365 * 86_400_000;

const by = z.string().regex(BY, '1-64 letters, digits, . @ - _ or spaces');
const note = z.string().max(NOTE_MAX, `at most ${NOTE_MAX} characters`);
const pattern = z
  .string()
  .min(1)
  .max(300)
  // Series keys hold quotes and braces; control characters are never in a name.
  .regex(/^[^\p{Cc}]+$/u, 'no control characters');
const service = z.string().min(1).max(128).nullable();

/** When and how long: `expires_in_ms` from now, or `expires_at` (RFC 3339); neither: never. */
const expiry = {
  expires_in_ms: z.number().int().positive().max(MAX_EXPIRES_IN_MS).optional(),
  expires_at: z.iso.datetime({ offset: true }).optional(),
};
const oneExpiry = (s: { expires_in_ms?: number | undefined; expires_at?: string | undefined }) =>
  s.expires_in_ms === undefined || s.expires_at === undefined;
const ONE_EXPIRY = { message: 'give expires_in_ms or expires_at, not both' };

/** `suppress` of a false positive: every field defaults from the incident's root cause. */
const suppressSchema = z
  .strictObject({ pattern: pattern.optional(), service: service.optional(), ...expiry })
  .refine(oneExpiry, ONE_EXPIRY);

export const feedbackSchema = z
  .strictObject({
    verdict: z.enum(VERDICTS),
    note: note.optional(),
    by: by.optional(),
    suppress: suppressSchema.optional(),
  })
  .refine((b) => b.suppress === undefined || b.verdict === 'false_positive', {
    message: 'only a false_positive can create a suppression',
    path: ['suppress'],
  });
export type FeedbackBody = z.infer<typeof feedbackSchema>;
export type SuppressRequest = NonNullable<FeedbackBody['suppress']>;

/** `POST /api/v1/suppressions`: the pattern is required; the service defaults to any (null). */
export const suppressionSchema = z
  .strictObject({
    pattern,
    service: service.optional(),
    note: note.optional(),
    by: by.optional(),
    ...expiry,
  })
  .refine(oneExpiry, ONE_EXPIRY);
export type SuppressionBody = z.infer<typeof suppressionSchema>;

/**
 * The request body (a string: the server reads JSON as text) checked against `schema`, or a
 * 400 AIOPS_ERR_API_BAD_REQUEST naming the first problem's path.
 */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== 'string' || body.trim() === '') {
    throw new AiopsError(
      'AIOPS_ERR_API_BAD_REQUEST',
      'the body must be a JSON object (Content-Type: application/json)',
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    throw new AiopsError(
      'AIOPS_ERR_API_BAD_REQUEST',
      `the body is not valid JSON: ${(err as Error).message}`,
    );
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const message = issue ? formatIssue(issue) : 'the body does not match';
    throw new AiopsError('AIOPS_ERR_API_BAD_REQUEST', message);
  }
  return r.data;
}

/** What a suppression is made from: the pattern and service settled, plus who and why. */
export interface SuppressionDraft {
  readonly pattern: string;
  readonly service: string | null;
  readonly expires_in_ms?: number | undefined;
  readonly expires_at?: string | undefined;
  readonly note: string;
  readonly by: string;
  readonly incident: string | null;
}

/**
 * With no service, a pattern must hold this many characters other than `*` in a row: the
 * shortest words the built-in signal kinds are told apart by (`*5xx*`, `*p99*`, `*_rps`) are
 * three long, and anything shorter (`*e*`, `*_*`) names no signal but matches most of them, on
 * every service.
 */
export const MIN_RUN_WITHOUT_SERVICE = 3;

/** The longest run of characters other than `*` in `pattern`. */
const longestRun = (pattern: string): number =>
  Math.max(0, ...pattern.split('*').map((part) => part.length));

/**
 * Whether `pattern` would hold back every log anomaly of `service` (any service when null): it
 * matches (as the signal name or the series key, as suppressions match) the error ratio and
 * the new-template and template-rate series of any template. Checked on the error ratio and
 * on two templates: a pattern that tells templates apart cannot match both.
 */
function holdsBackAllLogs(pattern: string, service: string | null): boolean {
  const g = glob(pattern);
  const labels = { service: service ?? 'service' };
  const series: [string, Record<string, string>][] = [
    [LogSignals.errorRatio, labels],
    ...[LogSignals.newTemplate, LogSignals.templateLines].flatMap((signal) =>
      ['1', '2'].map((id): [string, Record<string, string>] => [
        signal,
        { ...labels, template_id: id },
      ]),
    ),
  ];
  return series.every(([signal, l]) => g.test(signal) || g.test(seriesKey(signal, l)));
}

/**
 * Why `pattern` on `service` is too broad to be a suppression, or undefined when it is not:
 * - `*` alone with no service (every anomaly);
 * - with no service, fewer than `MIN_RUN_WITHOUT_SERVICE` characters other than `*` in a row;
 * - anything that holds back every log anomaly of a service (`*`, `log_*`, `*"*`): the log
 *   signals are few, and logs lead outages, so that would hide the earliest sign of most.
 */
export function tooBroad(pattern: string, service: string | null): string | undefined {
  if (service === null && /^\**$/.test(pattern)) {
    return 'pattern: "*" for every service would hold back every anomaly; name a service or a narrower pattern';
  }
  if (service === null && longestRun(pattern) < MIN_RUN_WITHOUT_SERVICE) {
    return (
      `pattern: with no service, a pattern needs ${MIN_RUN_WITHOUT_SERVICE} characters other ` +
      `than "*" in a row (as in *5xx*): ${JSON.stringify(pattern)} would hold back much of ` +
      'every service; name a service or a longer pattern'
    );
  }
  if (holdsBackAllLogs(pattern, service)) {
    return (
      `pattern: ${JSON.stringify(pattern)} would hold back every log anomaly of ` +
      `${service ?? 'every service'} (new templates, template rates and the error ratio); ` +
      'name one signal or series (a maintenance window quiets a whole service)'
    );
  }
  return undefined;
}

/** A new suppression from a draft, at wall-clock `now`; a pattern `tooBroad` is refused (400). */
export function newSuppression(d: SuppressionDraft, now: number): Suppression {
  const broad = tooBroad(d.pattern, d.service);
  if (broad !== undefined) throw new AiopsError('AIOPS_ERR_API_BAD_REQUEST', broad);
  const expiresAt =
    d.expires_in_ms !== undefined
      ? now + d.expires_in_ms
      : d.expires_at !== undefined
        ? Date.parse(d.expires_at)
        : null;
  if (expiresAt !== null && expiresAt <= now) {
    throw new AiopsError('AIOPS_ERR_API_BAD_REQUEST', 'expires_at: must be in the future');
  }
  return {
    id: newSuppressionId(),
    service: d.service,
    pattern: d.pattern,
    created_at: now,
    expires_at: expiresAt,
    created_by: d.by,
    note: d.note,
    incident: d.incident,
  };
}

/** The part of an incident feedback reads: its id, root cause and timeline (stored or public form). */
export interface IncidentRef {
  readonly id: string;
  readonly root_cause: { readonly service: string; readonly signal: string } | null;
  /** Its anomalies, in event-time order. */
  readonly timeline: readonly {
    readonly service: string;
    readonly signal: string;
    readonly series: string;
  }[];
}

/**
 * The pattern a false positive on `incident` suppresses unless told otherwise: the series key of
 * the root cause's anomaly (the timeline's first anomaly of the root service on the root
 * signal), such as `http_error_ratio{path="/login",service="auth"}` or, for a new log template,
 * `log_new_template{service="auth",template_id="17"}`: that series, not every series of the
 * signal (every new template, every error ratio anomaly of the service). Throws 400 when there is
 * no root cause, its anomaly is no longer on the timeline, or its key holds a `*` (a glob has no
 * escape: it would match any text there, not the key alone).
 */
export function defaultSuppressionPattern(incident: IncidentRef): string {
  const root = incident.root_cause;
  if (!root) {
    throw new AiopsError(
      'AIOPS_ERR_API_BAD_REQUEST',
      `suppress.pattern: incident ${incident.id} has no root cause to take it from; name one`,
    );
  }
  const anomaly = incident.timeline.find(
    (a) => a.service === root.service && a.signal === root.signal,
  );
  if (!anomaly) {
    throw new AiopsError(
      'AIOPS_ERR_API_BAD_REQUEST',
      `suppress.pattern: the timeline of incident ${incident.id} holds no anomaly of its root ` +
        `cause (${root.signal} on ${root.service}) to take the series from; name one`,
    );
  }
  if (anomaly.series.includes('*')) {
    throw new AiopsError(
      'AIOPS_ERR_API_BAD_REQUEST',
      `suppress.pattern: the root cause's series ${anomaly.series} holds a "*", which a pattern ` +
        'matches as any text, not as itself; name the pattern to suppress',
    );
  }
  return anomaly.series;
}

/**
 * The suppression a false positive on `incident` creates: by default the root cause's series
 * (`defaultSuppressionPattern`) on the root cause's service, so the same anomaly is held back
 * when it repeats, and nothing else. An explicit `pattern` is taken as given (if not too broad).
 */
export function suppressionFromIncident(
  incident: IncidentRef,
  suppress: SuppressRequest,
  who: { readonly by: string; readonly note: string },
  now: number,
): Suppression {
  const pattern = suppress.pattern ?? defaultSuppressionPattern(incident);
  return newSuppression(
    {
      pattern,
      service:
        suppress.service === undefined ? (incident.root_cause?.service ?? null) : suppress.service,
      expires_in_ms: suppress.expires_in_ms,
      expires_at: suppress.expires_at,
      note: who.note,
      by: who.by,
      incident: incident.id,
    },
    now,
  );
}

/** One verdict on an incident, as stored and answered. Times are RFC 3339. */
export interface FeedbackEntry {
  readonly id: string;
  readonly incident: string;
  readonly verdict: Verdict;
  readonly note: string;
  readonly by: string;
  readonly at: string;
  /** The suppression this feedback created, if any. */
  readonly suppression_id: string | null;
  /** The incident's first and last anomaly (event time): the labelled window. */
  readonly period: { readonly from: string | null; readonly to: string | null };
  /** False for a false positive: the window is not to be learned from (evaluation, replays). */
  readonly learn_from: boolean;
}

const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString();

export function feedbackEntry(
  incident: { readonly id: string; readonly first_ts?: number; readonly last_ts?: number },
  body: Pick<FeedbackBody, 'verdict'>,
  who: { readonly by: string; readonly note: string },
  suppression: Suppression | undefined,
  now: number,
): FeedbackEntry {
  return {
    id: `fb-${randomBytes(9).toString('base64url')}`,
    incident: incident.id,
    verdict: body.verdict,
    note: who.note,
    by: who.by,
    at: new Date(now).toISOString(),
    suppression_id: suppression?.id ?? null,
    period: { from: iso(incident.first_ts), to: iso(incident.last_ts) },
    learn_from: body.verdict === 'true_positive',
  };
}
