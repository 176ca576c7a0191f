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

/** A new suppression from a draft, at wall-clock `now`. */
export function newSuppression(d: SuppressionDraft, now: number): Suppression {
  if (d.service === null && /^\**$/.test(d.pattern)) {
    throw new AiopsError(
      'AIOPS_ERR_API_BAD_REQUEST',
      'pattern: "*" for every service would hold back every anomaly; name a service or a narrower pattern',
    );
  }
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

/** The part of an incident feedback reads: its id and root cause (stored or public form). */
export interface IncidentRef {
  readonly id: string;
  readonly root_cause: { readonly service: string; readonly signal: string } | null;
}

/**
 * The suppression a false positive on `incident` creates: by default the root cause's signal on
 * the root cause's service, so the same pattern is held back when it repeats, and nothing else.
 */
export function suppressionFromIncident(
  incident: IncidentRef,
  suppress: SuppressRequest,
  who: { readonly by: string; readonly note: string },
  now: number,
): Suppression {
  const pattern = suppress.pattern ?? incident.root_cause?.signal;
  if (pattern === undefined) {
    throw new AiopsError(
      'AIOPS_ERR_API_BAD_REQUEST',
      `suppress.pattern: incident ${incident.id} has no root cause to take it from; name one`,
    );
  }
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
