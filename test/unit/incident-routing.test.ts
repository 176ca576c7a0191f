/**
 * What each incident transition owes the receivers (notify/incident-routing.ts): the incident a
 * receiver gets lists the remediation hooks its transition called for, with their state.
 */
import type { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Incident } from '../../src/correlate/incidents.js';
import { notifyTransitions } from '../../src/notify/incident-routing.js';
import type { DeliveryJob, IncidentRemediation } from '../../src/queues/contract.js';

const config = parseConfig({
  services: { auth: {} },
  notify: { receivers: [{ name: 'hook', type: 'webhook', url: 'http://127.0.0.1:1/hook' }] },
});

function incident(): Incident {
  return {
    id: 'inc-1',
    status: 'open',
    first_ts: 0,
    last_ts: 0,
    seen_at: 0,
    opened_at: Date.UTC(2026, 11, 1, 7),
    resolved_at: null,
    resolved_by: null,
    reopened: 0,
    acknowledged_at: null,
    acknowledged_by: null,
    services: ['auth'],
    anomaly_count: 1,
    timeline: [],
    root_cause: { service: 'auth', signal: 'http_error_ratio', confidence: 0.9 },
    candidates: [],
    explanation: null,
  };
}

function fakeQueue(): { queue: Queue; jobs: DeliveryJob[] } {
  const jobs: DeliveryJob[] = [];
  const queue = {
    addBulk: (list: { data: DeliveryJob }[]) => {
      jobs.push(...list.map((j) => j.data));
      return Promise.resolve([]);
    },
    add: () => Promise.resolve({}),
  } as unknown as Queue;
  return { queue, jobs };
}

describe('incident routing', () => {
  it('lists the remediations a transition called for on the incident each receiver gets', async () => {
    const { queue, jobs } = fakeQueue();
    const hooks: IncidentRemediation[] = [
      {
        id: 'inc-1.rollback-auth.0.auth',
        hook: 'rollback-auth',
        mode: 'suggest',
        target: 'auth',
        state: 'suggested',
      },
    ];
    await notifyTransitions(config, queue)(
      [{ type: 'opened', incident: incident() }],
      new Map([['inc-1', hooks]]),
    );
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.transition).toBe('opened');
    expect(jobs[0]?.incident.remediations).toEqual(hooks);
  });

  it('sends the incident as it is when no hook matched', async () => {
    const { queue, jobs } = fakeQueue();
    await notifyTransitions(config, queue)([{ type: 'opened', incident: incident() }]);
    expect(jobs[0]?.incident).not.toHaveProperty('remediations');
  });
});
