/**
 * Service health and series history over HTTP, as data (the status page renders the same,
 * through status-loader.ts):
 * - `GET /api/v1/services` (`?service=NAME` for one): every service's state, the sentence that
 *   says why, its key series, signals and open incident, the worst first (every configured
 *   service and at most 100 others; `omitted_services` counts the others left out);
 * - `GET /api/v1/series` (`?service=NAME`, `?top=N` from 1 to 100, default 10): the most
 *   anomalous series with their recent points, one per minute, the last
 *   `detect.history_keep_ms` (6 hours) of each.
 * An unknown service is a 404 (AIOPS_ERR_SERVICE_NOT_FOUND).
 */
import type { FastifyInstance } from 'fastify';
import { AiopsError } from '../errors.js';
import { loadServiceHealth, loadTopSeries, type StatusSource } from './status-loader.js';

/** `?service=`: absent, or one non-empty name. */
function serviceOf(q: { service?: unknown }): string | undefined {
  if (q.service === undefined) return undefined;
  if (typeof q.service !== 'string' || q.service === '') {
    throw new AiopsError('AIOPS_ERR_API_BAD_REQUEST', 'service must be one service name');
  }
  return q.service;
}

function topOf(q: { top?: unknown }): number {
  const top = q.top === undefined ? 10 : Number(q.top);
  if (!Number.isInteger(top) || top < 1 || top > 100) {
    throw new AiopsError('AIOPS_ERR_API_BAD_REQUEST', 'top must be an integer from 1 to 100');
  }
  return top;
}

const notFound = (service: string): AiopsError =>
  new AiopsError(
    'AIOPS_ERR_SERVICE_NOT_FOUND',
    `no service "${service}": it is not under services: in the config, and none of its series was scored recently`,
  );

export function registerServiceRoutes(app: FastifyInstance, src: StatusSource): void {
  app.get('/api/v1/services', async (req) => {
    const service = serviceOf(req.query as { service?: unknown });
    if (service === undefined) return loadServiceHealth(src);
    // One service by name: found however many others there are.
    const all = await loadServiceHealth(src, { maxUnconfigured: Number.POSITIVE_INFINITY });
    const one = all.services.filter((s) => s.service === service);
    if (one.length === 0) throw notFound(service);
    return { ...all, services: one };
  });

  app.get('/api/v1/series', async (req) => {
    const q = req.query as { service?: unknown; top?: unknown };
    const service = serviceOf(q);
    const top = topOf(q);
    const series = await loadTopSeries(src, { service, top });
    if (series === undefined) throw notFound(service ?? '');
    return { series };
  });
}
