/**
 * The pages: `/status` (and `/status/public` when `server.public_status` is on),
 * `/incidents/{id}`, and their stylesheet and scripts under `/static/`. Every answer carries a
 * strict Content-Security-Policy: no inline script or style, nothing from another origin, no
 * framing. `?part=main` answers the status page's refreshable part only (what its script swaps
 * in).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { INCIDENT_SCRIPT, STATUS_SCRIPT, STYLESHEET } from './assets.js';
import { html } from './html.js';
import { incidentPage, type IncidentView } from './incident-page.js';
import { page } from './layout.js';
import { statusMain, statusPage, type StatusView } from './status-page.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface WebSources {
  readonly status: (variant: 'full' | 'public') => Promise<StatusView>;
  /** undefined: no such incident. */
  readonly incident: (id: string) => Promise<IncidentView | undefined>;
  readonly publicStatus: boolean;
}

function secure(reply: FastifyReply, type: string): FastifyReply {
  return reply
    .header('content-type', type)
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY');
}

const HTML = 'text/html; charset=utf-8';

export function registerWebRoutes(app: FastifyInstance, src: WebSources): void {
  const assets: Record<string, [string, string]> = {
    'aiops.css': ['text/css; charset=utf-8', STYLESHEET],
    'status.js': ['text/javascript; charset=utf-8', STATUS_SCRIPT],
    'incident.js': ['text/javascript; charset=utf-8', INCIDENT_SCRIPT],
  };
  app.get('/static/:file', async (req, reply) => {
    const { file } = req.params as { file: string };
    const asset = Object.hasOwn(assets, file) ? assets[file] : undefined;
    if (!asset) {
      return secure(reply.code(404), 'text/plain; charset=utf-8').send('no such file');
    }
    return secure(reply, asset[0]).header('cache-control', 'public, max-age=300').send(asset[1]);
  });

  const status =
    (variant: 'full' | 'public') => async (req: { query: unknown }, reply: FastifyReply) => {
      const view = await src.status(variant);
      const part = (req.query as { part?: string }).part;
      const body = part === 'main' ? statusMain(view) : statusPage(view);
      return secure(reply, HTML).header('cache-control', 'no-store').send(body.toString());
    };
  app.get('/status', status('full'));
  if (src.publicStatus) app.get('/status/public', status('public'));

  app.get('/incidents/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    const view = await src.incident(id);
    if (!view) {
      const body = page({
        title: 'No such incident · aiops-worker',
        heading: 'No such incident',
        root: '../',
        body: html`<main>
          <p>
            There is no incident <code>${id}</code>: it may have been trimmed (only the newest
            incidents are kept). <a href="../status">Status</a>
          </p>
        </main>`,
      });
      return secure(reply.code(404), HTML).send(body.toString());
    }
    return secure(reply, HTML)
      .header('cache-control', 'no-store')
      .send(incidentPage(view).toString());
  });
}
