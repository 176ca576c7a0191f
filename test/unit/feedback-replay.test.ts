/**
 * Issue 20 acceptance: a false positive on a replayed scenario suppresses the same pattern when
 * it repeats, and nothing else. The scenario is the generated auth cascade of
 * `cascade-scenarios.ts` (the story) with only auth's error ratio taken from the faulted run:
 * auth reports errors no one else sees (a misconfigured health check, say). Replay opens an
 * incident, root cause auth; the suppression is built from it by the function the feedback
 * route uses, with the route's defaults. A week later the same blip, replayed with the
 * suppression, opens nothing; an auth fault on another signal, the real auth outage and a
 * storage outage still open theirs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suppressionFromIncident } from '../../src/api/feedback.js';
import { parseConfig } from '../../src/config/load.js';
import { cascade, SIGNALS, type CascadeRecord, type Fault } from '../../src/demo/cascade.js';
import { SCENARIOS, TOPOLOGIES, type Scenario } from '../../src/demo/cascade-scenarios.js';
import type { Suppression } from '../../src/detect/suppressions.js';
import type { IncidentJson } from '../../src/queues/contract.js';
import { replay, type ReplaySummary } from '../../src/replay/replay.js';
import { replaySettingsFromConfig } from '../../src/replay/replay-from-config.js';
import { configIssues } from '../../src/service/config-checks.js';

const WEEK = 7 * 86_400_000;
const services = TOPOLOGIES.example;
const config = parseConfig({ services }, { check: configIssues });
const dir = mkdtempSync(join(tmpdir(), 'aiops-feedback-replay-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const scenario = (prefix: string): Scenario => {
  const s = SCENARIOS.find((x) => x.name.startsWith(prefix));
  if (!s) throw new Error(`no scenario ${prefix}`);
  return s;
};
const story = scenario('auth outage (the story)');
const storage = scenario('storage outage');

/**
 * The scenario's records `shiftMs` later, faulted only where `faulty` says (elsewhere the
 * no-fault run of the same seed: the same noise, so nothing else moves).
 */
function records(
  s: Scenario,
  shiftMs: number,
  faulty: (r: CascadeRecord) => boolean = () => true,
): CascadeRecord[] {
  const o = { services, start: s.start + shiftMs, end: s.end + shiftMs, stepMs: 60_000 };
  const faults: Fault[] = s.faults.map((f) => ({ ...f, at: f.at + shiftMs }));
  const faulted = cascade({ ...o, seed: s.seed, faults });
  const quiet = cascade({ ...o, seed: s.seed, faults: [] });
  return quiet.map((r, i) => (faulty(r) ? (faulted[i] ?? r) : r));
}
const on =
  (service: string, metric: string) =>
  (r: CascadeRecord): boolean =>
    r.labels.service === service && r.metric === metric;

let runs = 0;
async function replayed(
  input: readonly CascadeRecord[],
  suppressions?: readonly Suppression[],
): Promise<{ incidents: IncidentJson[]; summary: ReplaySummary }> {
  const name = `run-${++runs}`;
  writeFileSync(join(dir, `${name}.ndjson`), input.map((r) => JSON.stringify(r)).join('\n'));
  const summary = await replay({
    input: join(dir, `${name}.ndjson`),
    outDir: join(dir, name),
    ...replaySettingsFromConfig(config),
    ...(suppressions ? { suppressions } : {}),
    report: () => undefined,
  });
  const incidents = JSON.parse(
    readFileSync(join(dir, name, 'incidents.json'), 'utf8'),
  ) as IncidentJson[];
  return { incidents, summary };
}

describe('a false positive suppresses the same pattern when it repeats, and nothing else', () => {
  const blip = on('auth', SIGNALS.errors);
  let first: { incidents: IncidentJson[]; summary: ReplaySummary };
  let suppression: Suppression;
  beforeAll(async () => {
    first = await replayed(records(story, 0, blip));
    // As POST /api/v1/incidents/ID/feedback {verdict: false_positive, suppress: {}} builds it.
    const inc = first.incidents[0];
    if (inc) {
      suppression = suppressionFromIncident(
        inc,
        {},
        { by: 'alice', note: 'health check' },
        Date.now(),
      );
    }
  });

  it('the blip opens an incident, root cause auth, and feedback builds its suppression', () => {
    const { incidents, summary } = first;
    expect(summary.suppressed).toBe(0);
    expect(incidents).toHaveLength(1);
    const inc = incidents[0] as IncidentJson;
    expect(inc.status).toBe('open');
    expect(inc.root_cause).toMatchObject({ service: 'auth', signal: SIGNALS.errors });
    expect(inc.services).toEqual(['auth']);
    // The default is the root cause's series (its first anomaly's key), not the whole signal.
    const root = inc.timeline.find((a) => a.service === 'auth' && a.signal === SIGNALS.errors);
    expect(root?.series).toBe(`${SIGNALS.errors}{service="auth"}`);
    expect(suppression).toMatchObject({
      service: 'auth',
      pattern: root?.series,
      expires_at: null,
      incident: inc.id,
      created_by: 'alice',
    });
  });

  it('the same blip a week later opens nothing: its anomaly is held back', async () => {
    const { incidents, summary } = await replayed(records(story, WEEK, blip), [suppression]);
    expect(incidents).toEqual([]);
    expect(summary.anomalies).toBe(0);
    // Its onset and the next sample that confirms it persisted.
    expect(summary.suppressed).toBe(2);
    // Without the suppression the week-later blip opens its incident again.
    const without = await replayed(records(story, WEEK, blip));
    expect(without.incidents.map((i) => i.root_cause?.service)).toEqual(['auth']);
  });

  it('an auth fault on another signal still opens its incident', async () => {
    const latency = on('auth', SIGNALS.latency);
    const { incidents, summary } = await replayed(records(story, WEEK, latency), [suppression]);
    expect(summary.suppressed).toBe(0);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]?.root_cause).toMatchObject({ service: 'auth', signal: SIGNALS.latency });
  });

  it('the real auth outage still opens, root cause auth, without the suppressed signal', async () => {
    const { incidents, summary } = await replayed(records(story, WEEK), [suppression]);
    expect(summary.suppressed).toBe(2);
    expect(incidents).toHaveLength(1);
    const inc = incidents[0] as IncidentJson;
    expect(inc.root_cause?.service).toBe('auth');
    expect([...inc.services].sort()).toEqual(['auth', 'routing', 'storage']);
    const held = (a: { service: string; signal: string }) =>
      a.service === 'auth' && a.signal === SIGNALS.errors;
    expect(inc.timeline.filter(held)).toEqual([]);
    expect(inc.timeline.some((a) => a.service === 'routing' && a.signal === SIGNALS.errors)).toBe(
      true,
    );
  });

  it('a storage outage still opens, root cause storage', async () => {
    const { incidents } = await replayed(records(storage, WEEK), [suppression]);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]?.root_cause).toMatchObject({ service: 'storage', signal: SIGNALS.errors });
    expect([...(incidents[0]?.services ?? [])].sort()).toEqual(['auth', 'routing', 'storage']);
  });
});
