import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { OPENMETRICS_CONTENT_TYPE, toOpenMetrics, wantsOpenMetrics } from './openmetrics.js';

/**
 * `/metrics` in the Prometheus text format, or in OpenMetrics 1.0 when the scraper's Accept
 * header prefers it (Prometheus does).
 */
export function registerMetricsRoute(app: FastifyInstance, registry: Registry): void {
  app.get('/metrics', async (req, reply) => {
    const body = await registry.metrics();
    if (wantsOpenMetrics(req.headers.accept)) {
      return reply.header('content-type', OPENMETRICS_CONTENT_TYPE).send(toOpenMetrics(body));
    }
    return reply.header('content-type', registry.contentType).send(body);
  });
}
