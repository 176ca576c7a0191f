/**
 * What the hooks would have done, in event time, for replay's `hooks.ndjson` (pure): for each
 * incident transition, the remediations it calls for (hook-match.ts) and the decision the live
 * service would make at that moment, with the same guardrail rules (guardrails.ts) in an
 * in-memory book: `suggested` (suggest mode; approve mode, where nobody approves in a replay),
 * `skipped` with the guardrail or check that held it back, or `would_run`. Replay never runs
 * an action. `open_for` hooks are decided from each incident's final form: once it had been
 * open `open_for_ms` (its last opening).
 */
import type { RemediationConfig } from '../config/schema-remediation.js';
import type { SignalPatterns } from '../correlate/signal-kind.js';
import type { IncidentJson } from '../queues/contract.js';
import { GuardrailBook } from './guardrails.js';
import { proposalsFor, type HookTransition, type Proposal } from './hook-match.js';
import { runRequestOf } from './run-remediation.js';

export interface HookDecision {
  readonly hook: string;
  readonly incident: string;
  readonly target: string;
  readonly mode: 'suggest' | 'approve' | 'auto';
  readonly transition: HookTransition;
  readonly decision: 'suggested' | 'skipped' | 'would_run';
  readonly reason: string;
  /** RFC 3339, event time. */
  readonly ts: string;
}

export interface ReplayHooks {
  readonly settings: RemediationConfig;
  readonly patterns: SignalPatterns;
  /** True while `service` is in a maintenance window at `ts` (event time). */
  readonly inMaintenance: (service: string, ts: number) => boolean;
}

/** Decides hook after hook as transitions arrive (in event-time order). */
export class HookReplay {
  readonly #o: ReplayHooks;
  readonly #book = new GuardrailBook();
  readonly #seen = new Set<string>();
  /** Proposals with the event time they are due at, decided in that order by finish(). */
  readonly #due: { readonly proposals: readonly Proposal[]; readonly ts: number }[] = [];
  readonly decisions: HookDecision[] = [];

  constructor(o: ReplayHooks) {
    this.#o = o;
  }

  /** An incident opened or reopened at `ts`. */
  transition(inc: IncidentJson, transition: 'opened' | 'reopened', ts: number): void {
    const proposals = proposalsFor(this.#o.settings.hooks, inc, transition, this.#o.patterns);
    this.#due.push({ proposals, ts });
  }

  /**
   * After the last anomaly: adds the `open_for` hooks of every incident (from its final form)
   * and decides everything in event-time order. Call it once.
   */
  finish(incidents: readonly IncidentJson[]): void {
    for (const hook of this.#o.settings.hooks) {
      const wait = hook.match.open_for_ms;
      if (hook.match.transition !== 'open_for' || wait === undefined) continue;
      for (const inc of incidents) {
        if (inc.opened_at === null) continue;
        const due = Date.parse(inc.opened_at) + wait;
        const end = inc.resolved_at === null ? Infinity : Date.parse(inc.resolved_at);
        if (end < due) continue;
        this.#due.push({
          proposals: proposalsFor([hook], inc, 'open_for', this.#o.patterns),
          ts: due,
        });
      }
    }
    // In event time: an open_for check due before a later opening is decided before it, as
    // live (the sort is stable, so transitions at one time keep their order).
    const due = [...this.#due].sort((a, b) => a.ts - b.ts);
    this.#due.length = 0;
    for (const d of due) this.#decideAll(d.proposals, d.ts);
  }

  #decideAll(proposals: readonly Proposal[], ts: number): void {
    for (const p of proposals) {
      if (this.#seen.has(p.id)) continue;
      this.#seen.add(p.id);
      const [decision, reason] = this.#decide(p, ts);
      this.decisions.push({
        hook: p.hook.name,
        incident: p.incident.id,
        target: p.target,
        mode: p.hook.mode,
        transition: p.transition,
        decision,
        reason,
        ts: new Date(ts).toISOString(),
      });
    }
  }

  #decide(p: Proposal, ts: number): [HookDecision['decision'], string] {
    if (p.hook.mode === 'suggest') return ['suggested', 'suggest mode: shown, not run'];
    if (p.hook.mode === 'approve') return ['suggested', 'approve mode: waits for approval'];
    // In the live run's order (run-remediation.ts): the switch, dry-run, maintenance, guardrails.
    if (this.#o.settings.kill_switch) return ['skipped', 'kill_switch'];
    if (this.#o.settings.dry_run) return ['would_run', 'dry_run'];
    if (this.#o.inMaintenance(p.target, ts)) return ['skipped', 'maintenance'];
    const request = runRequestOf(
      { id: p.id, incident: p.incident.id, hook: p.hook.name, target: p.target },
      p.hook,
      this.#o.settings,
    );
    const verdict = this.#book.request(request, ts);
    if ('skip' in verdict) return ['skipped', verdict.skip];
    // Replay has no action to wait for: the run ends at once (its cooldown stays).
    this.#book.release(request);
    return ['would_run', 'guardrails passed'];
  }
}
