/**
 * Issue 6 acceptance, end to end through replay (the live path's pure cores): generated
 * cascades over several topologies go through the default detectors and the correlator.
 * Every injected fault must give exactly one incident, with the fault's root as root cause and
 * no service outside the fault's reach; nothing else may open an incident after the 24 h of
 * learning.
 */
import { describe, expect, it } from 'vitest';
import type { IncidentJson } from '../../src/queues/contract.js';
import { faultEffect } from '../../src/demo/cascade.js';
import { replayCascade } from '../../src/demo/replay-cascade.js';
import {
  SCENARIO_T0,
  SCENARIOS,
  TOPOLOGIES,
  type Scenario,
} from '../../src/demo/cascade-scenarios.js';

async function incidentsOf(s: Scenario): Promise<IncidentJson[]> {
  const { incidents } = await replayCascade({
    services: TOPOLOGIES[s.topology],
    faults: s.faults,
    start: s.start,
    end: s.end,
    stepMs: 60_000,
    seed: s.seed,
  });
  return incidents;
}

describe('a graph discovered from service-graph metrics, none configured', () => {
  it('the auth outage still gets root cause auth, over edges marked discovered', async () => {
    const services = TOPOLOGIES.example;
    const bare = Object.fromEntries(Object.keys(services).map((s) => [s, { depends_on: [] }]));
    const learnedFrom = SCENARIO_T0 + 24 * 3_600_000;
    const fault = { root: 'auth', at: learnedFrom + 2 * 3_600_000 + 13_000, durationMs: 1_800_000 };
    const { incidents: all } = await replayCascade({
      services,
      configuredServices: bare,
      faults: [fault],
      start: SCENARIO_T0,
      end: fault.at + 90 * 60_000,
      stepMs: 60_000,
      seed: 3,
      serviceGraphMetrics: true,
    });
    const incidents = all.filter((i) => Date.parse(i.opened_at ?? '') >= learnedFrom);
    expect(incidents).toHaveLength(1);
    const inc = incidents[0] as IncidentJson;
    expect(inc.root_cause?.service).toBe('auth');
    expect([...inc.services].sort()).toEqual(['auth', 'routing', 'storage']);
    // Frozen at opening: auth's anomalies and the first symptoms a minute later.
    expect(inc.explanation?.dependency_edges.length).toBeGreaterThan(0);
    expect(inc.explanation?.dependency_edges.every((e) => e.source === 'discovered')).toBe(true);
  });
});

describe('logs that lead the metrics', () => {
  it('the auth outage opens before its metrics move when auth logs a new error first, root cause auth', async () => {
    const story = SCENARIOS.find((x) => x.name.startsWith('auth outage (the story)')) as Scenario;
    const fault = story.faults[0] as (typeof story.faults)[number];
    const { incidents: all } = await replayCascade({
      services: TOPOLOGIES[story.topology],
      faults: story.faults,
      start: story.start,
      end: story.end,
      stepMs: 60_000,
      seed: story.seed,
      logLeadMs: 3 * 60_000,
    });
    const incidents = all.filter((i) => Date.parse(i.opened_at ?? '') >= story.learnedFrom);
    expect(incidents).toHaveLength(1);
    const inc = incidents[0] as IncidentJson;
    expect(inc.root_cause?.service).toBe('auth');
    expect([...inc.services].sort()).toEqual(['auth', 'routing', 'storage']);
    // Without logs it opens 107 s after the onset (bench correlate); with them, before it.
    expect(Date.parse(inc.opened_at ?? '')).toBeLessThan(fault.at);
    expect(inc.timeline).toContainEqual(
      expect.objectContaining({
        service: 'auth',
        kind: 'log',
        signal: 'log_new_template',
        template: 'dependency check failed for tenant <*>: timeout after <*>',
      }),
    );
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
