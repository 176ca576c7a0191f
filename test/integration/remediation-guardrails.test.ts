/**
 * The guardrails end to end against the real Redis (a fresh prefix per test): records proposed
 * by the real propose code, runs through the real runRemediation (config checks, then the Lua
 * guardrails), verification through verifyRemediation. Per guardrail: did the action run, what
 * is the record's final state and reason, and which decision did the audit stream record.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { JobNames, jobIdOf, type EscalationJob } from '../../src/queues/contract.js';
import { incidentJson } from '../../src/correlate/incident-json.js';
import { proposeFor, queueRun } from '../../src/remediate/propose.js';
import { runRequestOf } from '../../src/remediate/run-remediation.js';
import { sweepStranded } from '../../src/remediate/start-remediate.js';
import { hook, incident, RemediationRig } from '../helpers/remediation.js';
import { waitFor } from '../helpers/redis.js';

const HOUR = 3_600_000;
const rigs: RemediationRig[] = [];

afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.close();
});

function rigOf(config: Record<string, unknown>): RemediationRig {
  const rig = new RemediationRig(config);
  rigs.push(rig);
  return rig;
}

/** `<incident>.<hook>.<reopened>.<target>`, as hook-match.ts names a remediation. */
const rid = (inc: string, hookName: string, target: string, reopened = 0): string =>
  `${inc}.${hookName}.${reopened}.${target}`;

/** Held back: the record says why, and the audit has exactly that one skip for it. */
async function expectSkipped(rig: RemediationRig, id: string, reason: string): Promise<void> {
  expect(await rig.record(id)).toMatchObject({ state: 'skipped', reason });
  const skips = (await rig.audit(id)).filter((e) => e.decision === 'skipped');
  expect(skips.map((e) => e.reason)).toEqual([reason]);
}

/** Ran: started once, succeeded, and the action was called (`calls` times) with the id as key. */
async function expectRan(rig: RemediationRig, id: string, calls = 1): Promise<void> {
  expect(await rig.record(id)).toMatchObject({ state: 'succeeded', reason: 'ok' });
  const decisions = (await rig.audit(id)).map((e) => e.decision);
  expect(decisions.filter((d) => d === 'started')).toHaveLength(1);
  expect(decisions.at(-1)).toBe('succeeded');
  expect(rig.calls.filter((c) => c.idempotencyKey === id)).toHaveLength(calls);
}

describe('remediation guardrails (real Redis)', () => {
  describe('cooldown: the same hook on the same target', () => {
    it.each([
      { cooldown_ms: HOUR, second: 'skipped: cooldown' },
      { cooldown_ms: 0, second: 'runs' },
    ])('cooldown_ms $cooldown_ms: a second incident on the target $second', async (c) => {
      const rig = rigOf({ hooks: [hook('restart', { cooldown_ms: c.cooldown_ms })] });
      await rig.propose(incident('inc-1', ['auth']));
      await rig.run(rid('inc-1', 'restart', 'auth'));
      await expectRan(rig, rid('inc-1', 'restart', 'auth'));

      // Another incident, same root cause: same hook, same target, moments later.
      await rig.propose(incident('inc-2', ['auth']));
      await rig.run(rid('inc-2', 'restart', 'auth'));
      if (c.cooldown_ms > 0) {
        await expectSkipped(rig, rid('inc-2', 'restart', 'auth'), 'cooldown');
        expect(rig.calls).toHaveLength(1);
      } else {
        await expectRan(rig, rid('inc-2', 'restart', 'auth'));
        expect(rig.calls).toHaveLength(2);
      }
    });
  });

  describe('hourly limits', () => {
    it("a hook's max_runs_per_hour: the third run of the hour is hook_rate_limit", async () => {
      // Cooldown off and a target per incident, so only the hourly limit can hold a run back.
      const rig = rigOf({ hooks: [hook('restart', { cooldown_ms: 0, max_runs_per_hour: 2 })] });
      const targets = ['auth', 'routing', 'billing'];
      for (const [i, target] of targets.entries()) {
        await rig.propose(incident(`inc-${i}`, [target]));
        await rig.run(rid(`inc-${i}`, 'restart', target));
      }
      await expectRan(rig, rid('inc-0', 'restart', 'auth'));
      await expectRan(rig, rid('inc-1', 'restart', 'routing'));
      await expectSkipped(rig, rid('inc-2', 'restart', 'billing'), 'hook_rate_limit');
      expect(rig.calls.map((c) => c.target)).toEqual(['auth', 'routing']);
    });

    it('remediation.max_runs_per_hour counts all hooks together: rate_limit', async () => {
      // Each hook alone may run 3 times an hour; together only 2.
      const rig = rigOf({
        max_runs_per_hour: 2,
        hooks: [
          hook('restart', { cooldown_ms: 0, match: { root_cause: 'auth' } }),
          hook('rollback', { cooldown_ms: 0, match: { root_cause: 'routing' } }),
        ],
      });
      await rig.propose(incident('inc-1', ['auth']));
      await rig.propose(incident('inc-2', ['routing']));
      await rig.propose(incident('inc-3', ['auth']));
      await rig.run(rid('inc-1', 'restart', 'auth'));
      await rig.run(rid('inc-2', 'rollback', 'routing'));
      await rig.run(rid('inc-3', 'restart', 'auth'));
      await expectRan(rig, rid('inc-1', 'restart', 'auth'));
      await expectRan(rig, rid('inc-2', 'rollback', 'routing'));
      await expectSkipped(rig, rid('inc-3', 'restart', 'auth'), 'rate_limit');
      expect(rig.calls).toHaveLength(2);
    });
  });

  it('one run at a time per target: busy while another hook acts on it, free after', async () => {
    const rig = rigOf({
      hooks: [hook('restart', { cooldown_ms: 0 }), hook('scale', { cooldown_ms: 0 })],
    });
    // Both hooks match: two remediations of auth for one incident.
    await rig.propose(incident('inc-1', ['auth']));
    const release = rig.hold('restart');
    const first = rig.run(rid('inc-1', 'restart', 'auth'));
    await waitFor('the first action to start', () => rig.calls.length === 1, 5000);
    expect(await rig.record(rid('inc-1', 'restart', 'auth'))).toMatchObject({ state: 'running' });

    await rig.run(rid('inc-1', 'scale', 'auth'));
    await expectSkipped(rig, rid('inc-1', 'scale', 'auth'), 'busy');

    release();
    await first;
    await expectRan(rig, rid('inc-1', 'restart', 'auth'));

    // The target is free again: the next incident's scale runs on it.
    await rig.propose(incident('inc-2', ['auth']));
    await rig.run(rid('inc-2', 'scale', 'auth'));
    await expectRan(rig, rid('inc-2', 'scale', 'auth'));
    expect(rig.calls.map((c) => c.hook)).toEqual(['restart', 'scale']);
  });

  it('blast radius: max_targets 1 of an incident touching 3 services runs the root cause only', async () => {
    const rig = rigOf({
      hooks: [hook('restart', { target: 'affected', max_targets: 1, cooldown_ms: 0 })],
    });
    const records = await rig.propose(incident('inc-1', ['auth', 'routing', 'billing']));
    // Every target is proposed (so the audit says what was held back), root cause first.
    expect(records.map((r) => r.target)).toEqual(['auth', 'routing', 'billing']);
    for (const r of records) await rig.run(r.id);
    await expectRan(rig, rid('inc-1', 'restart', 'auth'));
    await expectSkipped(rig, rid('inc-1', 'restart', 'routing'), 'blast_radius');
    await expectSkipped(rig, rid('inc-1', 'restart', 'billing'), 'blast_radius');
    expect(rig.calls.map((c) => c.target)).toEqual(['auth']);
  });

  describe('kill switch', () => {
    it.each([
      { from: 'the API (Redis, every process)', config: {}, api: true },
      { from: 'the config (remediation.kill_switch)', config: { kill_switch: true }, api: false },
    ])('set from $from: nothing runs', async (c) => {
      const rig = rigOf({ ...c.config, hooks: [hook('restart')] });
      if (c.api) await rig.store.setKillSwitch(true);
      await rig.propose(incident('inc-1', ['auth']));
      await rig.run(rid('inc-1', 'restart', 'auth'));
      await expectSkipped(rig, rid('inc-1', 'restart', 'auth'), 'kill_switch');
      expect(rig.calls).toHaveLength(0);
    });

    it('once the API switch is off again, the next remediation runs', async () => {
      const rig = rigOf({ hooks: [hook('restart')] });
      await rig.store.setKillSwitch(true);
      await rig.propose(incident('inc-1', ['auth']));
      await rig.run(rid('inc-1', 'restart', 'auth'));
      await rig.store.setKillSwitch(false);
      await rig.propose(incident('inc-2', ['auth']));
      await rig.run(rid('inc-2', 'restart', 'auth'));
      // The switch took nothing (no cooldown, no hourly run): the second one runs.
      await expectSkipped(rig, rid('inc-1', 'restart', 'auth'), 'kill_switch');
      await expectRan(rig, rid('inc-2', 'restart', 'auth'));
    });
  });

  it('dry-run: decided and audited as would_run, the action never called', async () => {
    const rig = rigOf({ dry_run: true, hooks: [hook('restart')] });
    await rig.propose(incident('inc-1', ['auth']));
    const id = rid('inc-1', 'restart', 'auth');
    await rig.run(id);
    expect(await rig.record(id)).toMatchObject({ state: 'dry_run', reason: 'dry_run' });
    expect(await rig.decisions(id)).toEqual(['approved:auto mode', 'would_run:dry_run']);
    expect(rig.calls).toHaveLength(0);
  });

  it('maintenance holds auto runs back, not a run a person approved', async () => {
    const rig = rigOf({
      hooks: [hook('restart'), hook('rollback', { mode: 'approve' })],
    });
    rig.maintenance.add('auth');
    const records = await rig.propose(incident('inc-1', ['auth']));
    expect(records.map((r) => [r.hook, r.state])).toEqual([
      ['restart', 'approved'],
      ['rollback', 'pending'],
    ]);
    await rig.run(rid('inc-1', 'restart', 'auth'));
    await expectSkipped(rig, rid('inc-1', 'restart', 'auth'), 'maintenance');

    expect(await rig.approve(rid('inc-1', 'rollback', 'auth'), 'alice')).toBe(true);
    await rig.run(rid('inc-1', 'rollback', 'auth'));
    await expectRan(rig, rid('inc-1', 'rollback', 'auth'));
    expect(await rig.record(rid('inc-1', 'rollback', 'auth'))).toMatchObject({ by: 'alice' });
    expect(rig.calls.map((c) => c.hook)).toEqual(['rollback']);
  });

  describe('idempotency and resuming', () => {
    it('the same job run twice acts once', async () => {
      const rig = rigOf({ hooks: [hook('restart')] });
      await rig.propose(incident('inc-1', ['auth']));
      const id = rid('inc-1', 'restart', 'auth');
      await rig.run(id);
      await rig.run(id);
      await expectRan(rig, id);
      expect(rig.calls).toHaveLength(1);
      // The run queued its verification once, `verify_within_ms` (default 10 min) later.
      const verify = await rig.queue.getJob(jobIdOf(`verify.${id}`));
      expect(verify?.name).toBe(JobNames.RemediationVerify);
      expect(verify?.opts.delay).toBe(600_000);
    });

    it('the same job delivered twice at once acts once', async () => {
      // Both deliveries read the record while it is still approved; the Lua script tells the
      // second one `resume` (the first recorded the start), so it must not act on a stale copy.
      const rig = rigOf({ hooks: [hook('restart')] });
      await rig.propose(incident('inc-1', ['auth']));
      const id = rid('inc-1', 'restart', 'auth');
      await Promise.all([rig.run(id), rig.run(id)]);
      await expectRan(rig, id);
    });

    it('approved twice (two people, two queued runs): one approval wins, one run acts', async () => {
      const rig = rigOf({ hooks: [hook('rollback', { mode: 'approve' })] });
      await rig.propose(incident('inc-1', ['auth']));
      const id = rid('inc-1', 'rollback', 'auth');
      const approvals = await Promise.all([rig.approve(id, 'alice'), rig.approve(id, 'bob')]);
      expect(approvals.filter(Boolean)).toHaveLength(1);
      // Even if both queued it, the job id is the remediation's: one job.
      await queueRun(rig.queue, id);
      await queueRun(rig.queue, id);
      expect(await rig.queue.getJobCounts('waiting', 'delayed')).toEqual({
        waiting: 1,
        delayed: 0,
      });
      await rig.run(id);
      await rig.run(id);
      await expectRan(rig, id);
      expect((await rig.audit(id)).filter((e) => e.decision === 'approved')).toHaveLength(1);
    });

    it('a run that crashed after it started resumes with the same key, audited as started once', async () => {
      const rig = rigOf({ hooks: [hook('restart')] });
      const inc = incident('inc-1', ['auth']);
      const [rec] = await rig.propose(inc);
      if (!rec) throw new Error('no remediation proposed');
      const h = rig.settings.hooks[0];
      if (!h) throw new Error('no hook');
      // What runRemediation did before the crash: the guardrails recorded the run, the record
      // moved to running and `started` was audited; the action's answer never came back.
      const startedAt = Date.now();
      expect(await rig.store.request(runRequestOf(rec, h, rig.settings), startedAt)).toEqual({
        start: 'new',
      });
      const moved = await rig.store.move(rec.id, ['approved'], 'running', {
        reason: 'guardrails passed',
        started_at: startedAt,
        anomalies_at_start: inc.anomaly_count,
      });
      expect(moved.moved).toBe(true);
      await rig.store.audit({
        id: rec.id,
        hook: rec.hook,
        incident: rec.incident,
        target: rec.target,
        mode: rec.mode,
        decision: 'started',
        reason: 'guardrails passed',
        by: 'auto',
        ts: startedAt,
      });

      // While its lease holds, a second delivery does not act beside it.
      await rig.run(rec.id, 1);
      expect(rig.calls).toHaveLength(0);
      // The process is gone: its lease lapses, and BullMQ hands the stalled job out again.
      await rig.store.release({ id: rec.id, target: rec.target });
      await rig.run(rec.id, 1);
      await expectRan(rig, rec.id);
      expect(rig.calls[0]?.idempotencyKey).toBe(rec.id);
      expect(await rig.record(rec.id)).toMatchObject({ started_at: startedAt });
    });

    it('a crash between the guardrails and the move to running still runs it once', async () => {
      // The Lua script recorded the run (started marker, lock) but the process died before the
      // record left `approved`: the retry gets `resume` from the script.
      const rig = rigOf({ hooks: [hook('restart')] });
      const [rec] = await rig.propose(incident('inc-1', ['auth']));
      const h = rig.settings.hooks[0];
      if (!rec || !h) throw new Error('no remediation proposed');
      expect(await rig.store.request(runRequestOf(rec, h, rig.settings), Date.now())).toEqual({
        start: 'new',
      });
      // Its lease lapses with the process.
      await rig.store.release({ id: rec.id, target: rec.target });
      await rig.run(rec.id, 1);
      expect(rig.calls).toHaveLength(1);
      await expectRan(rig, rec.id);
    });

    it('a retryable failure is retried with the same key and audited as started once', async () => {
      const rig = rigOf({ hooks: [hook('restart')] });
      await rig.propose(incident('inc-1', ['auth']));
      const id = rid('inc-1', 'restart', 'auth');
      rig.answers.set('restart', [{ ok: false, retryable: true, detail: 'HTTP 503' }]);
      await expect(rig.run(id, 0)).rejects.toThrow(/HTTP 503/);
      expect(await rig.record(id)).toMatchObject({ state: 'running' });
      await rig.run(id, 1);
      await expectRan(rig, id, 2);
      expect(rig.calls.map((c) => c.idempotencyKey)).toEqual([id, id]);
    });
  });

  describe('the sweep', () => {
    it('queues again a remediation a dead process left approved, and nothing recent or final', async () => {
      const rig = rigOf({
        hooks: [hook('restart', { mode: 'approve' }), hook('page', { mode: 'suggest' })],
      });
      const [pending, suggested] = await rig.propose(incident('inc-1', ['auth']));
      if (!pending || !suggested) throw new Error('no remediation proposed');
      expect(await rig.approve(pending.id, 'alice')).toBe(true);
      const now = Date.now();
      // Approved a moment ago: its own run job may still be on its way.
      expect(await sweepStranded(rig.store, rig.queue, now)).toBe(0);
      // Three minutes later and still approved: its run job was lost with the process.
      expect(await sweepStranded(rig.store, rig.queue, now + 3 * 60_000)).toBe(1);
      const jobs = await rig.queue.getJobs(['waiting', 'delayed']);
      expect(jobs.map((j) => (j.data as { id: string }).id)).toEqual([pending.id]);
      // A second sweep in the same minute adds nothing.
      await sweepStranded(rig.store, rig.queue, now + 3 * 60_000);
      expect(await rig.queue.getJobCounts('waiting', 'delayed')).toMatchObject({ waiting: 1 });
    });
  });

  describe('verification', () => {
    it('more anomalies after the run: escalated, one escalation, the hook blocked for the incident', async () => {
      const rig = rigOf({
        hooks: [hook('restart', { target: 'affected', max_targets: 3, cooldown_ms: 0 })],
      });
      const inc = incident('inc-1', ['auth', 'routing'], { anomaly_count: 3 });
      await rig.propose(inc);
      const id = rid('inc-1', 'restart', 'auth');
      await rig.run(id);
      expect(await rig.record(id)).toMatchObject({ state: 'succeeded', anomalies_at_start: 3 });

      // Two anomalies join it after the run started.
      rig.incidents.set(inc.id, { ...inc, anomaly_count: 5 });
      await rig.verify(id);
      await rig.verify(id); // a retried verification changes nothing
      expect(await rig.record(id)).toMatchObject({
        state: 'escalated',
        reason: '2 anomalies joined the incident after the run',
      });
      expect((await rig.audit(id)).filter((e) => e.decision === 'escalated')).toHaveLength(1);

      const escalations = await rig.notify.getJobs(['waiting', 'delayed']);
      expect(escalations.map((j) => j.name)).toEqual([JobNames.Escalation]);
      const data = escalations[0]?.data as EscalationJob;
      expect(data).toMatchObject({ incident: 'inc-1', remediation: id });
      expect(data.note).toContain('Remediation restart on auth');

      // The hook's other target of the same incident: held back, though within max_targets.
      await rig.run(rid('inc-1', 'restart', 'routing'));
      await expectSkipped(rig, rid('inc-1', 'restart', 'routing'), 'blocked');

      // The incident reopens (a new remediation id): still blocked for this hook.
      const hooks = rig.settings.hooks.map((h) => ({
        ...h,
        match: { ...h.match, transition: 'reopened' as const },
      }));
      const reopened = incident('inc-1', ['auth', 'routing'], { anomaly_count: 6, reopened: 1 });
      rig.incidents.set(reopened.id, reopened);
      await proposeFor(
        { ...rig.proposeDeps, settings: { ...rig.settings, hooks } },
        incidentJson(reopened),
        'reopened',
      );
      await rig.run(rid('inc-1', 'restart', 'auth', 1));
      await expectSkipped(rig, rid('inc-1', 'restart', 'auth', 1), 'blocked');
      expect(rig.calls.map((c) => c.idempotencyKey)).toEqual([id]);
    });

    it('a fault that carries on without new anomalies (its onset was scored once) escalates', async () => {
      const rig = rigOf({ hooks: [hook('restart')] });
      const series = 'http_error_ratio{service="auth"}';
      const onTimeline = {
        id: 'a1',
        kind: 'metric' as const,
        series,
        service: 'auth',
        signal: 'http_error_ratio',
        labels: { service: 'auth' },
        ts: 0,
        value: 0.25,
        expected: 0.005,
        lower: 0.004,
        upper: 0.006,
        score: 1,
        detector: 'ensemble',
      };
      const inc = incident('inc-1', ['auth'], { anomaly_count: 3, timeline: [onTimeline] });
      await rig.propose(inc);
      const id = rid('inc-1', 'restart', 'auth');
      await rig.run(id);
      const entry = {
        key: series,
        service: 'auth',
        metric: 'http_error_ratio',
        score: 0.2,
        value: 0.24,
        expected: 0.005,
        lower: 0.004,
        upper: 0.006,
        learning: false,
        ts: 0,
      };
      rig.board.set(series, entry);
      await rig.verify(id);
      expect(await rig.record(id)).toMatchObject({
        state: 'escalated',
        reason: 'auth http_error_ratio is still 0.240, expected 0.00400–0.00600',
      });

      // Back within its band: the same run verifies.
      const rig2 = rigOf({ hooks: [hook('restart')] });
      await rig2.propose(inc);
      await rig2.run(id);
      rig2.board.set(series, { ...entry, value: 0.005 });
      await rig2.verify(id);
      expect(await rig2.record(id)).toMatchObject({ state: 'verified' });
    });

    it.each([
      { why: 'it resolved', later: { status: 'resolved' as const, anomaly_count: 7 } },
      { why: 'no anomaly joined it', later: { anomaly_count: 3 } },
    ])('verified when $why; nothing escalates', async (c) => {
      const rig = rigOf({ hooks: [hook('restart')] });
      const inc = incident('inc-1', ['auth'], { anomaly_count: 3 });
      await rig.propose(inc);
      const id = rid('inc-1', 'restart', 'auth');
      await rig.run(id);
      rig.incidents.set(inc.id, { ...inc, ...c.later });
      await rig.verify(id);
      expect(await rig.record(id)).toMatchObject({
        state: 'verified',
        reason: 'the incident cleared',
      });
      expect((await rig.audit(id)).at(-1)).toMatchObject({
        decision: 'verified',
        reason: 'the incident cleared',
      });
      expect(await rig.notify.getJobCounts('waiting', 'delayed')).toEqual({
        waiting: 0,
        delayed: 0,
      });
    });
  });
});
