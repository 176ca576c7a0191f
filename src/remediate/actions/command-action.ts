/**
 * The `command` action: runs the configured program without a shell, the incident JSON on its
 * stdin. Incident data reaches the child only as whole argv elements (an element that is
 * exactly a placeholder) and as the AIOPS_* variables: with no shell between, `; rm -rf /`,
 * `$(…)` or a backtick in a service name is just bytes in one argument. The child sees only
 * the environment variables the config lists.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { HookAction } from '../../config/schema-remediation.js';
import type { Action, ActionResult, ActionRun } from './action.js';

type CommandActionConfig = Extract<HookAction, { type: 'command' }>;

export interface CommandActionDeps {
  /** The worker's environment (from main.ts): the source of the names `env` lists. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** After the child exits, how long its pipes may stay open (a grandchild holding them). */
const DRAIN_MS = 1000;

/** The values of the argv placeholders (config/schema-remediation.ts ARGV_PLACEHOLDERS). */
function placeholders(run: ActionRun): ReadonlyMap<string, string> {
  return new Map([
    ['{incident}', run.incident.id],
    ['{target}', run.target],
    ['{root_cause}', run.incident.root_cause?.service ?? ''],
    ['{hook}', run.hook],
    ['{severity}', run.incident.severity],
    ['{idempotency_key}', run.idempotencyKey],
  ]);
}

/**
 * The child's argv: an element that is exactly a placeholder becomes its value, whole; any
 * other element is passed as written. The program (argv[0]) is never substituted, so an
 * incident can never choose what runs.
 */
/**
 * A value that may stand as a whole argument: a plain name as service names are spelt (letters, digits, `_ . : -`, not
 * starting with `-`), or nothing (an incident without a root cause). Service names come from the wire, so a value like `--all` would be an
 * option to the program, not a name: such a run is refused, not run with it.
 */
const PLAIN_VALUE = /^(?:[A-Za-z0-9][A-Za-z0-9_.:-]*)?$/;

/** The placeholders of `argv` whose value is not a plain name, as `{target}="--all"`. */
export function unsafeArguments(argv: readonly string[], run: ActionRun): string[] {
  const values = placeholders(run);
  return argv
    .slice(1)
    .filter((arg) => values.has(arg) && !PLAIN_VALUE.test(values.get(arg) ?? ''))
    .map((arg) => `${arg}=${JSON.stringify((values.get(arg) ?? '').slice(0, 80))}`);
}

export function commandArgv(argv: readonly string[], run: ActionRun): string[] {
  const values = placeholders(run);
  return argv.map((arg, i) => (i === 0 ? arg : (values.get(arg) ?? arg)));
}

/** The child's environment: the listed names the worker has, plus the AIOPS_* variables. */
export function commandEnv(
  names: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  run: ActionRun,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  out.AIOPS_HOOK = run.hook;
  out.AIOPS_INCIDENT = run.incident.id;
  out.AIOPS_TARGET = run.target;
  out.AIOPS_IDEMPOTENCY_KEY = run.idempotencyKey;
  return out;
}

/** Keeps the first `max` bytes of a stream and counts the rest without keeping it. */
function capture(stream: Readable, max: number): () => string {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let total = 0;
  stream.on('data', (chunk: Buffer) => {
    total += chunk.byteLength;
    if (keptBytes >= max) return;
    const part = chunk.subarray(0, max - keptBytes);
    kept.push(part);
    keptBytes += part.byteLength;
  });
  return () => {
    const text = Buffer.concat(kept).toString('utf8');
    return total > keptBytes ? `${text}…[truncated ${total - keptBytes} bytes]` : text;
  };
}

function excerpt(stdout: string, stderr: string): string {
  const parts = [stdout.trimEnd(), stderr.trimEnd() && `[stderr] ${stderr.trimEnd()}`];
  return parts.filter((p) => p !== '').join('\n');
}

/**
 * A `command` action. Exit 0 is ok; any other exit, a timeout (SIGKILL) or a program that
 * cannot start is final: a command that failed may have half-acted, so it is not run blindly
 * again. Nothing to close.
 */
export function commandAction(
  cfg: CommandActionConfig,
  deps: CommandActionDeps,
): { readonly run: Action; close(): Promise<void> } {
  const run: Action = (r) => {
    const unsafe = unsafeArguments(cfg.argv, r);
    if (unsafe.length > 0) {
      return Promise.resolve({
        ok: false,
        retryable: false,
        detail: `refused: ${unsafe.join(', ')} is not a plain name (it could be read as an option)`,
      });
    }
    return new Promise<ActionResult>((resolve) => {
      const [program = '', ...args] = commandArgv(cfg.argv, r);
      let child;
      try {
        // spawn, not execFile: execFile kills the child once its output passes maxBuffer, and
        // a remediation must not be cut short for being chatty; capture() keeps the first
        // max_output_bytes and drops the rest as it streams. `detached` puts the child in a
        // process group of its own, so a timeout kills whatever it started too.
        child = spawn(program, args, {
          shell: false,
          env: commandEnv(cfg.env, deps.env, r),
          stdio: ['pipe', 'pipe', 'pipe'],
          detached: process.platform !== 'win32',
          windowsHide: true,
        });
      } catch (err) {
        // A NUL byte in an argument or variable: refused before anything runs.
        resolve({
          ok: false,
          retryable: false,
          detail: `cannot run ${program}: ${String(err).slice(0, 300)}`,
        });
        return;
      }
      const stdout = capture(child.stdout, cfg.max_output_bytes);
      const stderr = capture(child.stderr, cfg.max_output_bytes);
      let timedOut = false;
      let settled = false;
      let drain: NodeJS.Timeout | undefined;
      const finish = (result: ActionResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(drain);
        resolve(result);
      };
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          if (child.pid !== undefined && process.platform !== 'win32') {
            process.kill(-child.pid, 'SIGKILL');
          } else {
            child.kill('SIGKILL');
          }
        } catch {
          child.kill('SIGKILL');
        }
      }, cfg.timeout_ms);
      child.on('exit', () => {
        clearTimeout(timer);
        // 'close' waits for the pipes; a grandchild still holding them must not hold the run.
        drain = setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
        }, DRAIN_MS);
      });
      child.on('error', (err: NodeJS.ErrnoException) => {
        const why =
          err.code === 'ENOENT'
            ? 'program not found'
            : err.code === 'EACCES'
              ? 'permission denied'
              : err.message;
        finish({ ok: false, retryable: false, detail: `cannot run ${program}: ${why}` });
      });
      child.on('close', (code, signal) => {
        const out = excerpt(stdout(), stderr());
        const how = timedOut
          ? `timed out after ${cfg.timeout_ms} ms (killed)`
          : code !== null
            ? `exit ${code}`
            : `killed by ${signal ?? 'a signal'}`;
        const detail = out === '' ? how : `${how}: ${out}`;
        finish(
          !timedOut && code === 0 ? { ok: true, detail } : { ok: false, retryable: false, detail },
        );
      });
      // A child that exits without reading stdin closes the pipe (EPIPE): not the run's fault.
      child.stdin.on('error', () => undefined);
      child.stdin.end(JSON.stringify(r.incident));
    });
  };
  return { run, close: () => Promise.resolve() };
}
