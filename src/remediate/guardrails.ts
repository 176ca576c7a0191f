/**
 * The guardrails a run must pass before it starts, as a pure model over an in-memory book (replay
 * runs it in event time; remediation-store.ts's Lua script enforces the very same rules atomically
 * in Redis for the live service, and test/integration/remediation-equivalence.test.ts holds the
 * two to the same decisions). In order, the first that holds a run back names the skip:
 * - `kill_switch`: no hook runs while it is set;
 * - `blocked`: the hook's earlier run for this incident did not clear it (verification);
 * - `blast_radius`: the hook already acted on `max_targets` targets of this incident;
 * - `busy`: another run on the same target has not finished;
 * - `cooldown`: the hook acted on this target less than `cooldown_ms` ago;
 * - `hook_rate_limit` / `rate_limit`: `max_runs_per_hour` of the hook, of all hooks.
 * A run that passes is recorded at once (target taken, lock, cooldown, both hourly windows), so
 * a second process asking a moment later is held back. A run already started (same id) resumes
 * once its lock lapsed (the lock is a lease its run renews while acting, so it lapses only when
 * that run is gone): after a crash the job runs again with the same idempotency key, never
 * beside a run of it that is still acting.
 */

export const HOUR_MS = 3_600_000;

export type SkipReason =
  | 'kill_switch'
  | 'blocked'
  | 'blast_radius'
  | 'busy'
  | 'cooldown'
  | 'hook_rate_limit'
  | 'rate_limit';

export interface RunRequest {
  readonly id: string;
  readonly incident: string;
  readonly hook: string;
  readonly target: string;
  readonly maxTargets: number;
  /** How long the target stays locked if the run never finishes (its action's timeout, and more). */
  readonly lockMs: number;
  readonly cooldownMs: number;
  readonly hookMaxPerHour: number;
  readonly allMaxPerHour: number;
}

export type GuardrailDecision =
  | { readonly start: 'new' | 'resume' }
  | { readonly wait: 'in_progress' }
  | { readonly skip: SkipReason };

/** The guardrails' memory (replay's; the live one is in Redis). */
export class GuardrailBook {
  killSwitch = false;
  readonly #started = new Set<string>();
  readonly #blocked = new Set<string>();
  readonly #targets = new Map<string, Set<string>>();
  readonly #locks = new Map<string, { id: string; until: number }>();
  readonly #cooldownUntil = new Map<string, number>();
  readonly #hookRuns = new Map<string, number[]>();
  #allRuns: number[] = [];

  /** Decides, and on a start records it. */
  request(r: RunRequest, now: number): GuardrailDecision {
    if (this.#started.has(r.id)) {
      // Started before: resume only once no run holds the target (its lease lapsed).
      const held = this.#locks.get(r.target);
      if (held && held.until > now) return { wait: 'in_progress' };
      this.#locks.set(r.target, { id: r.id, until: now + r.lockMs });
      return { start: 'resume' };
    }
    if (this.killSwitch) return { skip: 'kill_switch' };
    const ih = `${r.incident}|${r.hook}`;
    if (this.#blocked.has(ih)) return { skip: 'blocked' };
    const targets = this.#targets.get(ih) ?? new Set<string>();
    if (!targets.has(r.target) && targets.size >= r.maxTargets) return { skip: 'blast_radius' };
    const lock = this.#locks.get(r.target);
    if (lock && lock.until > now) return { skip: 'busy' };
    const ht = `${r.hook}|${r.target}`;
    if ((this.#cooldownUntil.get(ht) ?? -Infinity) > now) return { skip: 'cooldown' };
    const hookRuns = (this.#hookRuns.get(r.hook) ?? []).filter((t) => t > now - HOUR_MS);
    if (hookRuns.length >= r.hookMaxPerHour) return { skip: 'hook_rate_limit' };
    this.#allRuns = this.#allRuns.filter((t) => t > now - HOUR_MS);
    if (this.#allRuns.length >= r.allMaxPerHour) return { skip: 'rate_limit' };
    this.#started.add(r.id);
    targets.add(r.target);
    this.#targets.set(ih, targets);
    this.#locks.set(r.target, { id: r.id, until: now + r.lockMs });
    this.#cooldownUntil.set(ht, now + r.cooldownMs);
    this.#hookRuns.set(r.hook, [...hookRuns, now]);
    this.#allRuns.push(now);
    return { start: 'new' };
  }

  /** The run finished: its target is free again (the cooldown stays). */
  release(r: Pick<RunRequest, 'id' | 'target'>): void {
    if (this.#locks.get(r.target)?.id === r.id) this.#locks.delete(r.target);
  }

  /** The run did not clear the incident: the hook runs no more for it. */
  block(incident: string, hook: string): void {
    this.#blocked.add(`${incident}|${hook}`);
  }
}
