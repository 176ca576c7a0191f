/**
 * Issue 6 acceptance, end to end through replay (the live path's pure cores): generated
 * cascades over several topologies go through the default detectors and the correlator.
 * Every injected fault must give exactly one incident, with the fault's root as root cause and
 * no service outside the fault's reach; nothing else may open an incident after the 24 h of
 * learning.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { correlatorFromConfig } from '../../src/correlate/from-config.js';
import type { IncidentJson } from '../../src/correlate/incident-json.js';
import { detectorChoiceOrThrow } from '../../src/detect/detector-choice.js';
import { cascade, faultEffect } from '../../src/demo/cascade.js';
import { replay } from '../../src/replay/replay.js';
import {
  SCENARIO_T0,
  SCENARIOS,
  TOPOLOGIES,
  type Scenario,
} from '../../src/demo/cascade-scenarios.js';

const limits = {
  serviceLabels: ['service'],
  maxLabels: 30,
  maxLabelNameLength: 128,
  maxLabelValueLength: 1024,
};

async function incidentsOf(s: Scenario): Promise<IncidentJson[]> {
  const services = TOPOLOGIES[s.topology];
  const config = parseConfig({ services });
  const dir = mkdtempSync(join(tmpdir(), 'aiops-cascade-'));
  const records = cascade({
    services,
    faults: s.faults,
    start: s.start,
    end: s.end,
    stepMs: 60_000,
    seed: s.seed,
  });
  writeFileSync(join(dir, 'in.ndjson'), records.map((r) => JSON.stringify(r)).join('\n'));
  await replay({
    input: join(dir, 'in.ndjson'),
    outDir: join(dir, 'out'),
    detectorOf: detectorChoiceOrThrow(config.detect).forSeries,
    scoring: { threshold: config.detect.anomaly_threshold, holdMs: config.detect.hold_ms },
    correlatorFor: (discovered) => correlatorFromConfig(config, discovered),
    limits,
    report: () => undefined,
  });
  return JSON.parse(readFileSync(join(dir, 'out', 'incidents.json'), 'utf8')) as IncidentJson[];
}

describe('a graph discovered from service-graph metrics, none configured', () => {
  it('the auth outage still gets root cause auth, over edges marked discovered', async () => {
    const services = TOPOLOGIES.example;
    const bare = Object.fromEntries(Object.keys(services).map((s) => [s, { depends_on: [] }]));
    const config = parseConfig({ services: bare });
    const dir = mkdtempSync(join(tmpdir(), 'aiops-cascade-'));
    const learnedFrom = SCENARIO_T0 + 24 * 3_600_000;
    const fault = { root: 'auth', at: learnedFrom + 2 * 3_600_000 + 13_000, durationMs: 1_800_000 };
    const records = cascade({
      services,
      faults: [fault],
      start: SCENARIO_T0,
      end: fault.at + 90 * 60_000,
      stepMs: 60_000,
      seed: 3,
      serviceGraphMetrics: true,
    });
    writeFileSync(join(dir, 'in.ndjson'), records.map((r) => JSON.stringify(r)).join('\n'));
    await replay({
      input: join(dir, 'in.ndjson'),
      outDir: join(dir, 'out'),
      detectorOf: detectorChoiceOrThrow(config.detect).forSeries,
      scoring: { threshold: config.detect.anomaly_threshold, holdMs: config.detect.hold_ms },
      correlatorFor: (discovered) => correlatorFromConfig(config, discovered),
      limits,
      report: () => undefined,
    });
    const incidents = (
      JSON.parse(readFileSync(join(dir, 'out', 'incidents.json'), 'utf8')) as IncidentJson[]
    ).filter((i) => Date.parse(i.opened_at ?? '') >= learnedFrom);
    expect(incidents).toHaveLength(1);
    const inc = incidents[0] as IncidentJson;
    expect(inc.root_cause?.service).toBe('auth');
    expect([...inc.services].sort()).toEqual(['auth', 'routing', 'storage']);
    // Frozen at opening: auth's anomalies and the first symptoms a minute later.
    expect(inc.explanation?.dependency_edges.length).toBeGreaterThan(0);
    expect(inc.explanation?.dependency_edges.every((e) => e.source === 'discovered')).toBe(true);
  });
});

describe('correlation over generated cascades', () => {
  it('has at least 20 scenarios over 3 topologies, with steps, ramps, simultaneous unrelated faults and no-fault runs', () => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(20);
    expect(new Set(SCENARIOS.map((s) => s.topology)).size).toBe(3);
    expect(SCENARIOS.some((s) => s.faults.some((f) => (f.rampMs ?? 0) > 0))).toBe(true);
    expect(SCENARIOS.some((s) => s.faults.length === 0)).toBe(true);
    expect(
      SCENARIOS.some((s) => s.faults.length === 2 && s.faults[0]?.at === s.faults[1]?.at),
    ).toBe(true);
  });

  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (_name, s) => {
    const services = TOPOLOGIES[s.topology];
    const incidents = (await incidentsOf(s)).filter(
      (i) => Date.parse(i.opened_at ?? '') >= s.learnedFrom,
    );
    const unmatched = new Set(incidents.map((i) => i.id));
    for (const fault of s.faults) {
      const effect = faultEffect(services, fault);
      const mine = incidents.filter((i) => {
        const opened = Date.parse(i.opened_at ?? '');
        return (
          opened >= fault.at &&
          opened <= fault.at + fault.durationMs &&
          i.services.includes(fault.root)
        );
      });
      expect(
        mine.map((i) => i.services),
        `one incident for the ${fault.root} fault`,
      ).toHaveLength(1);
      const inc = mine[0] as IncidentJson;
      unmatched.delete(inc.id);
      expect(inc.root_cause?.service, `root cause of the ${fault.root} fault`).toBe(fault.root);
      const outsiders = inc.services.filter((x) => !effect.affected.has(x));
      expect(outsiders, `services merged into the ${fault.root} incident`).toEqual([]);
    }
    expect(
      incidents
        .filter((i) => unmatched.has(i.id))
        .map((i) => `${i.opened_at} ${i.services.join(',')}`),
      'incidents that are no fault',
    ).toEqual([]);
  });
});
