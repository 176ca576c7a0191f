/**
 * Feedback as data (src/api/feedback.ts): the suppression a false positive creates by default
 * is the root cause's series, not its whole signal (a log root cause would otherwise mute every
 * new template or every error-ratio anomaly of the service); patterns too broad to be a
 * suppression are refused; `aiops_feedback_total` exists before the first feedback.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  defaultSuppressionPattern,
  newSuppression,
  suppressionFromIncident,
  tooBroad,
  type IncidentRef,
} from '../../src/api/feedback.js';
import { FeedbackMetrics } from '../../src/api/feedback-metrics.js';
import { suppressionCheck } from '../../src/detect/suppressions.js';
import { AiopsError } from '../../src/errors.js';
import { seriesKey } from '../../src/queues/series-key.js';

const T = Date.UTC(2026, 0, 6, 7, 0);
const who = { by: 'alice', note: 'noise' };
const newTemplate = (service: string, id: string): string =>
  seriesKey('log_new_template', { service, template_id: id });

/** Log-led: routing's new template first, then auth's (the root cause), then auth's ratio. */
const logLed: IncidentRef = {
  id: 'inc-log',
  root_cause: { service: 'auth', signal: 'log_new_template' },
  timeline: [
    { service: 'routing', signal: 'log_new_template', series: newTemplate('routing', '3') },
    { service: 'auth', signal: 'log_error_ratio', series: 'log_error_ratio{service="auth"}' },
    { service: 'auth', signal: 'log_new_template', series: newTemplate('auth', '17') },
    { service: 'auth', signal: 'log_new_template', series: newTemplate('auth', '18') },
  ],
};

const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(AiopsError);
    expect((err as AiopsError).code).toBe('AIOPS_ERR_API_BAD_REQUEST');
    return (err as Error).message;
  }
  throw new Error('not refused');
};

describe('the default suppression of a false positive', () => {
  it("is the root cause's first anomaly's series: one log template, not every new one", () => {
    const s = suppressionFromIncident(logLed, {}, who, T);
    expect(s).toMatchObject({
      service: 'auth',
      pattern: 'log_new_template{service="auth",template_id="17"}',
      incident: 'inc-log',
    });
    const check = suppressionCheck([s]);
    const held = (service: string, signal: string, key: string) =>
      check?.(service, signal, key, T + 86_400_000) ?? false;
    expect(held('auth', 'log_new_template', newTemplate('auth', '17'))).toBe(true);
    // Another new template of auth, its error ratio and routing's templates still open incidents.
    expect(held('auth', 'log_new_template', newTemplate('auth', '18'))).toBe(false);
    expect(held('auth', 'log_new_template', newTemplate('auth', '170'))).toBe(false);
    expect(held('auth', 'log_error_ratio', 'log_error_ratio{service="auth"}')).toBe(false);
    expect(held('routing', 'log_new_template', newTemplate('routing', '17'))).toBe(false);
  });

  it("is an error-ratio root cause's series, the service's ratio alone", () => {
    const inc: IncidentRef = {
      id: 'inc-ratio',
      root_cause: { service: 'auth', signal: 'log_error_ratio' },
      timeline: logLed.timeline,
    };
    expect(defaultSuppressionPattern(inc)).toBe('log_error_ratio{service="auth"}');
  });

  it("is a metric root cause's series with its labels", () => {
    const series = 'http_error_ratio{path="/login",service="auth"}';
    const inc: IncidentRef = {
      id: 'inc-metric',
      root_cause: { service: 'auth', signal: 'http_error_ratio' },
      timeline: [{ service: 'auth', signal: 'http_error_ratio', series }],
    };
    expect(suppressionFromIncident(inc, {}, who, T).pattern).toBe(series);
  });

  it('keeps an explicit pattern and service as given', () => {
    const s = suppressionFromIncident(
      logLed,
      { pattern: 'log_new_template', service: 'auth' },
      who,
      T,
    );
    expect(s).toMatchObject({ pattern: 'log_new_template', service: 'auth' });
  });

  it('refuses a series key holding a "*", which a glob cannot match as itself', () => {
    const inc: IncidentRef = {
      id: 'inc-star',
      root_cause: { service: 'auth', signal: 'http_error_ratio' },
      timeline: [
        { service: 'auth', signal: 'http_error_ratio', series: 'http_error_ratio{path="/a/*"}' },
      ],
    };
    expect(refusal(() => suppressionFromIncident(inc, {}, who, T))).toContain('holds a "*"');
    // Named explicitly, the same text is taken (as the glob it is).
    const s = suppressionFromIncident(inc, { pattern: 'http_error_ratio{path="/a/*"}' }, who, T);
    expect(s.pattern).toBe('http_error_ratio{path="/a/*"}');
  });

  it('refuses when there is no root cause, or its anomaly is off the timeline', () => {
    expect(
      refusal(() => suppressionFromIncident({ ...logLed, root_cause: null }, {}, who, T)),
    ).toContain('has no root cause');
    expect(
      refusal(() => suppressionFromIncident({ ...logLed, timeline: [] }, {}, who, T)),
    ).toContain('holds no anomaly of its root cause (log_new_template on auth)');
  });
});

describe('patterns too broad to be a suppression', () => {
  it.each([
    ['*', null, 'would hold back every anomaly'],
    ['**', null, 'would hold back every anomaly'],
    ['*e*', null, 'needs 3 characters other than "*" in a row'],
    ['*_*', null, 'needs 3 characters other than "*" in a row'],
    ['*a*b*c*', null, 'needs 3 characters other than "*" in a row'],
    ['*', 'auth', 'would hold back every log anomaly of auth'],
    ['log_*', 'auth', 'would hold back every log anomaly of auth'],
    ['LOG*', 'auth', 'would hold back every log anomaly of auth'],
    ['*e*', 'auth', 'would hold back every log anomaly of auth'],
    ['*service="auth"*', 'auth', 'would hold back every log anomaly of auth'],
    ['log_*', null, 'would hold back every log anomaly of every service'],
    ['*{service=*', null, 'would hold back every log anomaly of every service'],
  ])('refuses %s on %s', (pattern, service, reason) => {
    expect(tooBroad(pattern, service)).toContain(reason);
    expect(
      refusal(() => newSuppression({ pattern, service, note: '', by: 'x', incident: null }, T)),
    ).toContain(reason);
  });

  it.each([
    ['http_error_ratio', null],
    ['*err*', null],
    ['*5xx*', null],
    ['http_error_ratio{*path="/login"*}', null],
    ['x', 'auth'],
    ['*latency*', 'auth'],
    ['log_new_template', 'auth'],
    ['log_template_lines', 'auth'],
    ['log_error_ratio', 'auth'],
    ['log_*_template*', 'auth'],
    ['log_new_template{service="auth",template_id="17"}', 'auth'],
    ['log_new_template{service="auth",template_id="17"}', null],
  ])('takes %s on %s', (pattern, service) => {
    expect(tooBroad(pattern, service)).toBeUndefined();
    expect(
      newSuppression({ pattern, service, note: '', by: 'x', incident: null }, T),
    ).toMatchObject({ pattern, service });
  });
});

describe('aiops_feedback_total', () => {
  it('exports both verdicts at 0 before any feedback', async () => {
    const registry = new Registry();
    const metrics = new FeedbackMetrics(registry);
    let text = await registry.metrics();
    expect(text).toMatch(/^aiops_feedback_total\{verdict="false_positive"\} 0$/m);
    expect(text).toMatch(/^aiops_feedback_total\{verdict="true_positive"\} 0$/m);
    metrics.count('false_positive');
    text = await registry.metrics();
    expect(text).toMatch(/^aiops_feedback_total\{verdict="false_positive"\} 1$/m);
    expect(text).toMatch(/^aiops_feedback_total\{verdict="true_positive"\} 0$/m);
  });
});
