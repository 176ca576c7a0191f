/**
 * `remediation`: hooks that act on an incident (a rollback, a restart, a team's own handler),
 * matched on its root cause, signal, severity, confidence and transition, in one of three modes:
 * `suggest` (recorded and shown, never run), `approve` (runs once a person approves through
 * the API) and `auto`. Every run passes the guardrails first (docs/remediation.md).
 */
import { z } from 'zod';
import { didYouMean } from './did-you-mean.js';
import { durationMs, uniqueNames } from './schema-common.js';

// No dot: a remediation id joins incident, hook, reopen count and target with dots, and a dot
// in a hook name could make two remediations share one id.
const hookName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'hook names are 1-64 of [a-zA-Z0-9_-]');

/** Whole-argument placeholders a command's argv may hold (nothing else is substituted). */
export const ARGV_PLACEHOLDERS = [
  '{incident}',
  '{target}',
  '{root_cause}',
  '{hook}',
  '{severity}',
  '{idempotency_key}',
] as const;

const httpAction = z.strictObject({
  type: z.literal('http'),
  url: z
    .url({ protocol: /^https?$/, error: 'an http:// or https:// URL' })
    .describe('Where the signed CloudEvent is posted; from config only, never from the incident.'),
  secret: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Standard Webhooks signing secret (`whsec_<base64>`); use `${VAR}` or `secret_file`.',
    ),
  timeout_ms: durationMs.min(100).default(10_000).describe('How long one request may take.'),
});

const commandAction = z.strictObject({
  type: z.literal('command'),
  argv: z
    .array(z.string().min(1))
    .min(1)
    .describe(
      `Program and arguments, run without a shell (execFile). An argument that is exactly one of ${ARGV_PLACEHOLDERS.join(', ')} is replaced by that value, whole; nothing else is substituted.`,
    ),
  env: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/))
    .default([])
    .describe(
      "Names of the worker's environment variables the command may see (all others are withheld); AIOPS_HOOK, AIOPS_INCIDENT, AIOPS_TARGET and AIOPS_IDEMPOTENCY_KEY are always set.",
    ),
  timeout_ms: durationMs.min(100).default(60_000).describe('Killed (SIGKILL) after this long.'),
  max_output_bytes: z
    .number()
    .int()
    .min(256)
    .max(1_048_576)
    .default(8192)
    .describe('stdout and stderr are each kept up to this many bytes.'),
});

/** The worker's own queues: a team's handler never consumes them. */
const OWN_QUEUE = /^(samples|logs)\.\d+$|^(anomalies|notify|pull|remediate)$/;

const queueAction = z.strictObject({
  type: z.literal('queue'),
  queue: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{1,128}$/)
    .refine((q) => !OWN_QUEUE.test(q), "one of the worker's own queues: name your team's queue")
    .describe(
      "BullMQ queue (under `redis.prefix`; on a Redis Cluster under `<prefix>:{main}`) that a team's own worker consumes.",
    ),
});

/** One name or glob, or a list of them (always a list once parsed). */
const oneOrMany = z
  .array(z.string().min(1))
  .or(
    z
      .string()
      .min(1)
      .transform((s) => [s]),
  )
  .optional();

const match = z
  .strictObject({
    root_cause: oneOrMany.describe('Root-cause service(s); `*` globs. Any when unset.'),
    signal: oneOrMany.describe(
      "The root cause's signal: a kind (errors, latency, traffic, saturation, logs) or a name glob.",
    ),
    severity: z
      .enum(['critical', 'warning'])
      .optional()
      .describe('Only incidents of this severity.'),
    min_confidence: z.number().min(0).max(1).default(0).describe('Least root-cause confidence.'),
    transition: z
      .enum(['opened', 'reopened', 'open_for'])
      .default('opened')
      .describe('When: on opening, on reopening, or once open (and unresolved) for `open_for_ms`.'),
    open_for_ms: durationMs
      .min(60_000)
      .optional()
      .describe('With `transition: open_for`: how long the incident has been open.'),
  })
  .describe('Which incidents the hook is for; every given field must match.');

const hook = z
  .strictObject({
    name: hookName.describe(
      'Names the hook in the API, logs, metrics and idempotency keys; unique.',
    ),
    match,
    mode: z
      .enum(['suggest', 'approve', 'auto'])
      .default('suggest')
      .describe('suggest: recorded and shown, never run; approve: runs once approved; auto: runs.'),
    action: z
      .discriminatedUnion('type', [httpAction, commandAction, queueAction])
      .describe(
        'What the hook does: `http` (a signed CloudEvent to a URL), `command` (a program, no shell) or `queue` (a BullMQ job).',
      ),
    target: z
      .enum(['root_cause', 'affected'])
      .default('root_cause')
      .describe(
        'What the action is for: the root-cause service, or each service the incident touches.',
      ),
    max_targets: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe('Blast radius: targets per incident at most; the rest are skipped.'),
    cooldown_ms: durationMs
      .default(30 * 60_000)
      .describe('After a run, the same hook skips the same target for this long.'),
    max_runs_per_hour: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe('Runs of this hook in any hour at most.'),
    verify_within_ms: durationMs
      .min(10_000)
      .default(10 * 60_000)
      .describe(
        "After a run, the incident's anomalies must clear within this; if not, the run escalates and the hook runs no more for the incident.",
      ),
  })
  .superRefine((h, ctx) => {
    if (h.match.transition === 'open_for' && h.match.open_for_ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['match', 'open_for_ms'],
        message: 'transition open_for needs open_for_ms',
      });
    }
    if (h.match.transition !== 'open_for' && h.match.open_for_ms !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['match', 'open_for_ms'],
        message: `open_for_ms applies to transition: open_for only (this hook's is ${h.match.transition})`,
      });
    }
    if (h.action.type === 'command') {
      const [program] = h.action.argv;
      if (program !== undefined && !program.startsWith('/')) {
        ctx.addIssue({
          code: 'custom',
          path: ['action', 'argv', 0],
          message:
            'the program must be an absolute path (the command gets no PATH unless env lists it, and an incident value is never the program)',
        });
      }
      h.action.argv.slice(1).forEach((arg, i) => {
        const problem = argumentProblem(arg);
        if (problem)
          ctx.addIssue({ code: 'custom', path: ['action', 'argv', i + 1], message: problem });
      });
    }
  });

/** What is wrong with a command argument's placeholder, if anything. */
function argumentProblem(arg: string): string | undefined {
  const known = ARGV_PLACEHOLDERS as readonly string[];
  if (known.includes(arg) || !/\{[a-z_]+\}/.test(arg)) return undefined;
  if (/^\{[a-z_]+\}$/.test(arg)) {
    return `unknown placeholder ${arg}${didYouMean(arg, known)}; known: ${known.join(', ')}`;
  }
  return `${arg} holds a placeholder inside it: a placeholder must be a whole argument, one of ${known.join(', ')}`;
}

export const remediationSchema = z
  .strictObject({
    hooks: z.array(hook).default([]).superRefine(uniqueNames).describe('The hooks, in order.'),
    max_runs_per_hour: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe('Runs of all hooks together in any hour at most.'),
    dry_run: z
      .boolean()
      .default(false)
      .describe('Decide and record everything, run nothing (the whole process).'),
    kill_switch: z
      .boolean()
      .default(false)
      .describe('No hook runs while set (the API can set it too, for every process).'),
    audit_max_entries: z
      .number()
      .int()
      .min(100)
      .default(10_000)
      .describe('Audit stream length kept in Redis (oldest dropped).'),
  })
  .prefault({})
  .describe('Remediation hooks and their guardrails (docs/remediation.md).');

export type RemediationConfig = z.output<typeof remediationSchema>;
export type HookConfig = RemediationConfig['hooks'][number];
export type HookAction = HookConfig['action'];
