/**
 * An incident in plain words, for people: "auth: http error ratio 25.7%, expected 0.4%–0.6%,
 * from 06:58, a minute before routing". Built from the incident's public form only, so the
 * page, a notification or a test reads the same sentences.
 */
import type { IncidentJson, IncidentJsonAnomaly } from '../queues/contract.js';
import { band, clock, gap, num } from './format.js';

/** `http_error_ratio` → `http error ratio`. */
export const humanSignal = (signal: string): string => signal.replace(/_+/g, ' ').trim();

/** Ratios (a signal named *ratio* or *percent*, values within 0-1) read as percentages. */
function isRatio(a: Pick<IncidentJsonAnomaly, 'signal' | 'value' | 'upper'>): boolean {
  return /ratio|percent|_pct\b|share/i.test(a.signal) && Math.abs(a.value) <= 1 && a.upper <= 1;
}

const pct = (x: number): string => `${num(x * 100)}%`;

/** "http error ratio 25.7%, expected 0.4%–0.6%" (or the template for a log anomaly). */
export function valueVsBand(a: IncidentJsonAnomaly): string {
  if (a.kind === 'log') {
    const what = a.signal === 'log_new_template' ? 'a new log line' : humanSignal(a.signal);
    return `${what}${a.level ? ` (${a.level})` : ''}${a.template ? `: "${a.template}"` : ''}`;
  }
  const r = isRatio(a);
  const v = r ? pct(a.value) : num(a.value);
  const b = r ? `${pct(a.lower)}–${pct(a.upper)}` : band(a.lower, a.upper);
  return `${humanSignal(a.signal)} ${v}, expected ${b}`;
}

const ms = (t: string | null): number => (t === null ? Number.NaN : Date.parse(t));

/** Each service's first anomaly, in time order. */
export function firstBy(timeline: readonly IncidentJsonAnomaly[]): IncidentJsonAnomaly[] {
  const firsts = new Map<string, IncidentJsonAnomaly>();
  const sorted = [...timeline].sort((a, b) => ms(a.ts) - ms(b.ts));
  for (const a of sorted) if (!firsts.has(a.service)) firsts.set(a.service, a);
  return [...firsts.values()];
}

const ERRORS = /error|fail|5xx|denied|reject|timeout/i;

/**
 * The anomaly that best says what happened to `service`: the root-cause signal when it is a
 * metric of this service, else its earliest metric anomaly (an error signal first when several
 * moved at once, then the highest score), else its first log anomaly.
 */
export function headlineOf(
  inc: Pick<IncidentJson, 'timeline' | 'root_cause'>,
  service: string,
): IncidentJsonAnomaly | undefined {
  const own = inc.timeline.filter((a) => a.service === service);
  const metrics = own.filter((a) => a.kind !== 'log');
  const rootSignal =
    inc.root_cause?.service === service
      ? metrics.find((a) => a.signal === inc.root_cause?.signal)
      : undefined;
  if (rootSignal) return rootSignal;
  const ranked = [...metrics].sort(
    (a, b) =>
      ms(a.ts) - ms(b.ts) ||
      Number(ERRORS.test(b.signal)) - Number(ERRORS.test(a.signal)) ||
      b.score - a.score,
  );
  return ranked[0] ?? firstBy(own)[0];
}

/** The sentences of an incident, the headline first. */
export function explainIncident(inc: IncidentJson): string[] {
  const root = inc.explanation?.root_cause || inc.root_cause?.service || '';
  const timeline = [...inc.timeline].sort((a, b) => ms(a.ts) - ms(b.ts));
  if (timeline.length === 0) return [`Incident ${inc.id}: no anomalies recorded.`];
  const firsts = firstBy(timeline);
  const lines: string[] = [];
  const shown = root === '' ? undefined : headlineOf(inc, root);
  if (shown) {
    const onset = ms(shown.ts);
    const after = firsts
      .filter((a) => a.service !== root)
      .map((a) => headlineOf(inc, a.service) ?? a)
      .filter((a) => ms(a.ts) >= onset)
      .sort((a, b) => ms(a.ts) - ms(b.ts))
      .slice(0, 3)
      .map((a) => `${gap(ms(a.ts) - onset)} before ${a.service}`);
    lines.push(
      `${root}: ${valueVsBand(shown)}, from ${clock(shown.ts).slice(0, 5)}` +
        (after.length > 0 ? `, ${after.join(', ')}` : '') +
        '.',
    );
    const earlyLog = timeline.find(
      (a) => a.service === root && a.kind === 'log' && ms(a.ts) < onset,
    );
    if (earlyLog) {
      lines.push(
        `${root}'s logs showed it ${gap(onset - ms(earlyLog.ts))} earlier: ${valueVsBand(earlyLog)}.`,
      );
    }
  }
  for (const a of firsts) {
    if (a.service === root) continue;
    const m = headlineOf(inc, a.service) ?? a;
    lines.push(`${a.service}: ${valueVsBand(m)}, from ${clock(m.ts).slice(0, 5)}.`);
  }
  if (inc.root_cause) {
    const top = inc.candidates[0];
    lines.push(
      `Root cause ${inc.root_cause.service} (confidence ${num(inc.root_cause.confidence)})` +
        (top && top.reasons.length > 0 ? `: ${top.reasons.join('; ')}.` : '.'),
    );
  }
  return lines;
}
