/**
 * The start-up probe of notify's targets, so a wrong or unreachable one shows at start rather
 * than at the first incident: each Alertmanager is asked `GET /-/ready`; each receiver gets a
 * TCP connect to its host and port only (never a request: a fake page would page someone).
 * A target that fails is a warning line and a `/readyz` warning, never a failed start or an
 * unready process: deliveries retry, and ingest must not stop because a pager is down. A failed
 * target is probed again every `retryMs` until it answers, and its warning clears.
 */
import { connect } from 'node:net';
import { alertmanagerBaseUrl } from '../config/alertmanager-url.js';
import { redactUrlText } from '../config/redact-url.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../telemetry/logger.js';

export interface NotifyTarget {
  /** Where it is configured: `notify.alertmanagers[0]`, `notify.receivers[1]`. */
  readonly path: string;
  readonly kind: 'alertmanager' | 'receiver';
  readonly url: string;
}

/** The configured targets, in config order. */
export function notifyTargets(settings: Config['notify']): NotifyTarget[] {
  return [
    ...settings.alertmanagers.map((url, i) => ({
      path: `notify.alertmanagers[${i}]`,
      kind: 'alertmanager' as const,
      url,
    })),
    ...settings.receivers.map((r, i) => ({
      path: `notify.receivers[${i}] (${r.name})`,
      kind: 'receiver' as const,
      url: r.url,
    })),
  ];
}

const firstLine = (err: unknown): string => {
  const e = err as Error & { cause?: { message?: string; code?: string } };
  // fetch's own message is "fetch failed"; the cause says what failed.
  const cause = e.cause?.message ?? e.cause?.code;
  return (cause && e.message === 'fetch failed' ? cause : e.message).split('\n')[0] ?? '';
};

/** Why the target does not answer, or undefined when it does. Never throws. */
export async function probeTarget(t: NotifyTarget, timeoutMs: number): Promise<string | undefined> {
  if (t.kind === 'alertmanager') {
    const url = `${alertmanagerBaseUrl(t.url)}/-/ready`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      await res.body?.cancel();
      if (res.ok) return undefined;
      return `GET /-/ready answered ${res.status}${res.status === 404 ? ' (is this the base URL of an Alertmanager?)' : ''}`;
    } catch (err) {
      return `GET /-/ready failed: ${firstLine(err)}`;
    }
  }
  let host: string;
  let port: number;
  try {
    const u = new URL(t.url);
    host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  } catch (err) {
    return firstLine(err);
  }
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (problem: string | undefined): void => {
      socket.destroy();
      resolve(problem);
    };
    socket.once('connect', () => {
      done(undefined);
    });
    socket.once('timeout', () => {
      done(`TCP connect to ${host}:${port}: no answer within ${timeoutMs} ms`);
    });
    socket.once('error', (err) => {
      done(`TCP connect to ${host}:${port}: ${firstLine(err)}`);
    });
  });
}

export interface TargetProbes {
  /** One line per target whose last probe failed. */
  warnings(): readonly string[];
  /** Resolves once every target has been probed once (for tests). */
  readonly first: Promise<void>;
  stop(): void;
}

/** Probes every target now, in the background, and again every `retryMs` while one fails. */
export function probeTargets(
  targets: readonly NotifyTarget[],
  log: Logger,
  opts: { timeoutMs?: number; retryMs?: number } = {},
): TargetProbes {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const retryMs = opts.retryMs ?? 60_000;
  const failing = new Map<NotifyTarget, string>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const line = (t: NotifyTarget, problem: string): string =>
    `${t.path} ${redactUrlText(t.url)}: ${problem}`;

  const probe = async (t: NotifyTarget): Promise<void> => {
    const problem = await probeTarget(t, timeoutMs);
    if (stopped) return;
    const was = failing.get(t);
    if (problem === undefined) {
      failing.delete(t);
      if (was !== undefined)
        log.info(
          { target: t.path, url: redactUrlText(t.url) },
          `notify target answers now: ${t.path}`,
        );
      return;
    }
    failing.set(t, line(t, problem));
    if (was === undefined) {
      log.warn(
        { target: t.path, url: redactUrlText(t.url), problem },
        `notify target not reachable: ${line(t, problem)}; notifications to it will be retried (see /readyz warnings)`,
      );
    }
  };
  const again = (): void => {
    if (stopped || failing.size === 0) return;
    timer = setTimeout(() => {
      const now = [...failing.keys()];
      void Promise.all(now.map(probe)).then(again);
    }, retryMs);
    timer.unref();
  };
  const first = Promise.all(targets.map(probe)).then(again);
  return {
    warnings: () => [...failing.values()],
    first,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
