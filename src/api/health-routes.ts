import type { FastifyInstance } from 'fastify';

export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<boolean>;
  /**
   * Problems that do not make the process unready (a notify target that does not answer:
   * deliveries retry, and ingest must not stop for it). Listed under `warnings`; the check
   * shows `warning` while there are any.
   */
  warnings?(): readonly string[];
  /** Why the check fails, when it knows (listed under `reasons` while it does). */
  reason?(): string | undefined;
}

/** `/healthz`: the process is up. `/readyz`: every dependency check passes. */
export function registerHealthRoutes(
  app: FastifyInstance,
  checks: readonly ReadinessCheck[],
): void {
  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const results = await Promise.all(
      checks.map(async (c) => {
        const ok = await c.check().catch(() => false);
        const reason = ok ? undefined : c.reason?.();
        return [c.name, ok, ok ? (c.warnings?.() ?? []) : [], reason] as const;
      }),
    );
    const ready = results.every(([, ok]) => ok);
    const warnings = results.flatMap(([, , w]) => w);
    const reasons = results.flatMap(([, , , r]) => (r === undefined ? [] : [r]));
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not ready',
      checks: Object.fromEntries(
        results.map(([name, ok, w]) => [name, ok ? (w.length > 0 ? 'warning' : 'ok') : 'failing']),
      ),
      ...(reasons.length > 0 ? { reasons } : {}),
      ...(warnings.length > 0 ? { warnings } : {}),
    });
  });
}
