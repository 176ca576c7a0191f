/**
 * Which hooks a transition calls for (hook-match.ts), and what replay says they would have done
 * (replay-hooks.ts: the guardrails in event time), on incidents built by hand.
 */
import { describe, expect, it } from 'vitest';
import { remediationSchema } from '../../src/config/schema-remediation.js';
import { defaultSignalPatterns } from '../../src/correlate/signal-kind.js';
import type { IncidentJson } from '../../src/queues/contract.js';
import { proposalsFor } from '../../src/remediate/hook-match.js';
import { HookReplay } from '../../src/remediate/replay-hooks.js';

function incident(
  o: Partial<IncidentJson> & { root?: string; signal?: string; confidence?: number } = {},
): IncidentJson {
  const root = o.root ?? 'auth';
  return {
    id: o.id ?? 'inc-1',
    status: 'open',
    severity: o.severity ?? 'critical',
    severity_raised_at: null,
    opened_at: o.opened_at ?? '2026-12-01T06:59:00.000Z',
    resolved_at: o.resolved_at ?? null,
    resolved_by: null,
    reopened: o.reopened ?? 0,
    acknowledged_at: null,
    acknowledged_by: null,
    root_cause: {
      service: root,
      signal: o.signal ?? 'http_error_ratio',
      confidence: o.confidence ?? 0.9,
    },
    candidates: [],
    services: o.services ?? [root, 'routing', 'storage'],
    anomaly_count: 3,
    timeline: [],
    explanation: null,
    explanation_at_open: null,
  };
}

const settings = (hooks: unknown[], extra: object = {}) =>
  remediationSchema.parse({ hooks, ...extra });
const http = { type: 'http', url: 'https://deploy.example/rollback' };

describe('hook matching', () => {
  it.each([
    [{ root_cause: 'auth' }, {}, true],
    [{ root_cause: 'au*' }, {}, true],
    [{ root_cause: ['routing', 'auth'] }, {}, true],
    [{ root_cause: 'routing' }, {}, false],
    [{ signal: 'errors' }, {}, true],
    [{ signal: 'latency' }, {}, false],
    [{ signal: 'http_*_ratio' }, {}, true],
    [{ signal: 'logs' }, { signal: 'log_new_template' }, true],
    [{ severity: 'warning' }, {}, false],
    [{ min_confidence: 0.95 }, {}, false],
    [{ min_confidence: 0.9 }, {}, true],
    [{ transition: 'reopened' }, {}, false],
  ])('match %j on %j: %s', (match, inc, expected) => {
    const s = settings([{ name: 'h', match, action: http }]);
    expect(proposalsFor(s.hooks, incident(inc), 'opened', defaultSignalPatterns)).toHaveLength(
      expected ? 1 : 0,
    );
  });

  it('keys each remediation by incident, hook, reopen count and target, root cause first', () => {
    const s = settings([
      { name: 'restart', match: {}, target: 'affected', max_targets: 2, action: http },
    ]);
    const ids = proposalsFor(
      s.hooks,
      incident({ reopened: 2 }),
      'opened',
      defaultSignalPatterns,
    ).map((p) => p.id);
    expect(ids).toEqual([
      'inc-1.restart.2.auth',
      'inc-1.restart.2.routing',
      'inc-1.restart.2.storage',
    ]);
  });

  it.each([
    [
      { type: 'command', argv: ['/bin/deploy', '--service={target}'] },
      'argv.1',
      'holds a placeholder inside it',
    ],
    [
      { type: 'command', argv: ['/bin/deploy', '{targte}'] },
      'argv.1',
      'unknown placeholder {targte} (did you mean "{target}"?)',
    ],
    [{ type: 'command', argv: ['deploy', '{target}'] }, 'argv.0', 'must be an absolute path'],
    [{ type: 'command', argv: ['{target}'] }, 'argv.0', 'must be an absolute path'],
    [{ type: 'http', url: 'ftp://deploy.example/rollback' }, 'url', 'an http:// or https:// URL'],
  ])('refuses the action %j at %s: %s', (action, at, message) => {
    const bad = remediationSchema.safeParse({ hooks: [{ name: 'a', match: {}, action }] });
    const messages = bad.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(messages.join('\n')).toContain(`hooks.0.action.${at}: `);
    expect(messages.join('\n')).toContain(message);
  });

  it('refuses open_for without its delay, and a delay without open_for', () => {
    const bad = remediationSchema.safeParse({
      hooks: [
        { name: 'a', match: { transition: 'open_for' }, action: http },
        { name: 'b', match: { open_for_ms: 600_000 }, action: http },
      ],
    });
    const messages = bad.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(messages).toEqual([
      'hooks.0.match.open_for_ms: transition open_for needs open_for_ms',
      "hooks.1.match.open_for_ms: open_for_ms applies to transition: open_for only (this hook's is opened)",
    ]);
  });
});

describe('replay decisions', () => {
  const patterns = defaultSignalPatterns;
  const never = () => false;
  const t0 = Date.UTC(2026, 11, 1, 7);

  it('suggest and approve hooks are suggested; auto hooks pass or are held by the guardrails', () => {
    const r = new HookReplay({
      settings: settings([
        { name: 'rollback-auth', match: { root_cause: 'auth' }, mode: 'suggest', action: http },
        { name: 'page-db', match: {}, mode: 'approve', action: http },
        { name: 'restart', match: {}, mode: 'auto', cooldown_ms: 3_600_000, action: http },
      ]),
      patterns,
      inMaintenance: never,
    });
    r.transition(incident({ id: 'inc-1' }), 'opened', t0);
    // Another incident on the same target within the restart's cooldown.
    r.transition(incident({ id: 'inc-2' }), 'opened', t0 + 60_000);
    r.finish([]);
    expect(r.decisions.map((d) => [d.incident, d.hook, d.decision, d.reason])).toEqual([
      ['inc-1', 'rollback-auth', 'suggested', 'suggest mode: shown, not run'],
      ['inc-1', 'page-db', 'suggested', 'approve mode: waits for approval'],
      ['inc-1', 'restart', 'would_run', 'guardrails passed'],
      ['inc-2', 'rollback-auth', 'suggested', 'suggest mode: shown, not run'],
      ['inc-2', 'page-db', 'suggested', 'approve mode: waits for approval'],
      ['inc-2', 'restart', 'skipped', 'cooldown'],
    ]);
    expect(r.decisions[0]?.ts).toBe(new Date(t0).toISOString());
  });

  it('holds auto runs by blast radius, maintenance, dry-run and the kill switch', () => {
    const hook = {
      name: 'restart',
      match: {},
      mode: 'auto',
      target: 'affected',
      max_targets: 1,
      cooldown_ms: 0,
      action: http,
    };
    const decide = (extra: object, inMaintenance: (service: string) => boolean = never) => {
      const r = new HookReplay({ settings: settings([hook], extra), patterns, inMaintenance });
      r.transition(incident(), 'opened', t0);
      r.finish([]);
      return r.decisions.map((d) => `${d.target}:${d.decision}:${d.reason}`);
    };
    expect(decide({})).toEqual([
      'auth:would_run:guardrails passed',
      'routing:skipped:blast_radius',
      'storage:skipped:blast_radius',
    ]);
    expect(decide({}, (s) => s === 'auth')[0]).toBe('auth:skipped:maintenance');
    expect(decide({ dry_run: true })[0]).toBe('auth:would_run:dry_run');
    expect(decide({ kill_switch: true })[0]).toBe('auth:skipped:kill_switch');
  });

  it('decides open_for hooks in event time among the other transitions', () => {
    // One run an hour in all: the open_for check due at 07:01 comes first, the opening at 07:30
    // is held back (deciding open_for last would have said the reverse).
    const r = new HookReplay({
      settings: settings(
        [
          {
            name: 'late',
            mode: 'auto',
            match: { transition: 'open_for', open_for_ms: 600_000 },
            action: http,
          },
          { name: 'open', mode: 'auto', match: {}, action: http },
        ],
        { max_runs_per_hour: 1 },
      ),
      patterns,
      inMaintenance: never,
    });
    r.transition(
      incident({ id: 'inc-2', opened_at: '2026-12-01T07:30:00.000Z' }),
      'opened',
      Date.parse('2026-12-01T07:30:00.000Z'),
    );
    r.finish([incident({ id: 'inc-1', opened_at: '2026-12-01T06:51:00.000Z' })]);
    expect(r.decisions.map((d) => [d.ts, d.hook, d.decision, d.reason])).toEqual([
      ['2026-12-01T07:01:00.000Z', 'late', 'would_run', 'guardrails passed'],
      ['2026-12-01T07:30:00.000Z', 'open', 'skipped', 'rate_limit'],
    ]);
  });

  it('decides open_for hooks from how long each incident stayed open', () => {
    const r = new HookReplay({
      settings: settings([
        { name: 'escalate', match: { transition: 'open_for', open_for_ms: 600_000 }, action: http },
      ]),
      patterns,
      inMaintenance: never,
    });
    r.finish([
      incident({
        id: 'long',
        opened_at: '2026-12-01T07:00:00.000Z',
        resolved_at: '2026-12-01T07:30:00.000Z',
      }),
      incident({
        id: 'short',
        opened_at: '2026-12-01T07:00:00.000Z',
        resolved_at: '2026-12-01T07:05:00.000Z',
      }),
    ]);
    expect(r.decisions.map((d) => [d.incident, d.ts])).toEqual([
      ['long', '2026-12-01T07:10:00.000Z'],
    ]);
  });
});
