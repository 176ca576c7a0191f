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
        return [c.name, ok, ok ? (c.warnings?.() ?? []) : []] as const;
      }),
    );
    const ready = results.every(([, ok]) => ok);
    const warnings = results.flatMap(([, , w]) => w);
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not ready',
      checks: Object.fromEntries(
        results.map(([name, ok, w]) => [name, ok ? (w.length > 0 ? 'warning' : 'ok') : 'failing']),
      ),
      ...(warnings.length > 0 ? { warnings } : {}),
    });
  });
}
