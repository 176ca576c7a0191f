/**
 * Which hooks an incident transition calls for, and for which targets (pure). A hook matches
 * when every field of its `match` does: the root-cause service (globs), the root cause's signal
 * (a kind: errors, latency, traffic, saturation, logs; or a name glob), the severity, the least confidence
 * and the transition. Each match names its targets: the root-cause service, or each service the
 * incident touches (root cause first), and each (incident, hook, reopen count, target) is one
 * remediation, keyed so that a retried job or a double approval acts once.
 */
import type { HookConfig } from '../config/schema-remediation.js';
import { globMatches, signalKind, type SignalPatterns } from '../correlate/signal-kind.js';
import type { IncidentJson } from '../queues/contract.js';

/** When a hook is asked: the incident opened, reopened, or has stayed open `open_for_ms`. */
export type HookTransition = 'opened' | 'reopened' | 'open_for';

export interface Proposal {
  /** `<incident>.<hook>.<reopened>.<target>`: the remediation's id and idempotency key. */
  readonly id: string;
  readonly hook: HookConfig;
  readonly incident: IncidentJson;
  readonly target: string;
  readonly transition: HookTransition;
}

const SIGNAL_KINDS = ['errors', 'latency', 'traffic', 'saturation', 'logs'] as const;

function kindOf(signal: string, patterns: SignalPatterns): string {
  return signal.startsWith('log_') ? 'logs' : signalKind(signal, patterns);
}

function signalMatches(
  wanted: readonly string[],
  signal: string,
  patterns: SignalPatterns,
): boolean {
  const kind = kindOf(signal, patterns);
  return wanted.some((w) =>
    (SIGNAL_KINDS as readonly string[]).includes(w) ? w === kind : globMatches(w, signal),
  );
}

export function hookMatches(
  hook: HookConfig,
  inc: IncidentJson,
  transition: HookTransition,
  patterns: SignalPatterns,
): boolean {
  const m = hook.match;
  const root = inc.root_cause;
  if (m.transition !== transition) return false;
  if (m.root_cause && !(root && m.root_cause.some((g) => globMatches(g, root.service)))) {
    return false;
  }
  if (m.signal && !(root && signalMatches(m.signal, root.signal, patterns))) return false;
  if (m.severity && m.severity !== inc.severity) return false;
  return (root?.confidence ?? 0) >= m.min_confidence;
}

/** The remediation id of (incident, hook, reopen count, target). */
export const remediationId = (inc: IncidentJson, hook: string, target: string): string =>
  `${inc.id}.${hook}.${inc.reopened}.${target}`;

/** Targets in order: the root cause first, then the other services the incident touches. */
function targetsOf(hook: HookConfig, inc: IncidentJson): string[] {
  const root = inc.root_cause?.service;
  if (hook.target === 'root_cause') return root ? [root] : [];
  const rest = inc.services.filter((s) => s !== root);
  return root ? [root, ...rest] : [...rest];
}

/**
 * Every remediation the transition calls for, hooks in config order. A hook with more targets
 * than its `max_targets` still proposes them all: the blast-radius guardrail skips the extras,
 * so the audit says what was held back.
 */
export function proposalsFor(
  hooks: readonly HookConfig[],
  inc: IncidentJson,
  transition: HookTransition,
  patterns: SignalPatterns,
): Proposal[] {
  return hooks
    .filter((h) => hookMatches(h, inc, transition, patterns))
    .flatMap((hook) =>
      targetsOf(hook, inc).map((target) => ({
        id: remediationId(inc, hook.name, target),
        hook,
        incident: inc,
        target,
        transition,
      })),
    );
}
