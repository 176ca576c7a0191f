/**
 * The guard of every write the API takes (acknowledging an incident, approving or rejecting a
 * remediation, the kill switch): the admin token (`server.admin_token`) as a bearer token in the
 * Authorization header, and nothing cross-site. The token is taken from the header only, never
 * from a query string or a cookie, so a page on another site cannot make a browser send it; a
 * request whose `Origin` names another host, or whose `Sec-Fetch-Site` says cross-site, is
 * refused whatever it carries. No CORS headers are ever sent. Without a configured token every
 * write is refused (403), so a fresh install cannot be driven by anyone who reaches its port.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AiopsError } from '../errors.js';

export const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Constant-time: does `given` equal one of the tokens whose digests are `wanted`? */
export function tokenIn(given: string, wanted: readonly Buffer[]): boolean {
  const d = digest(given);
  let hit = false;
  for (const w of wanted) hit = timingSafeEqual(d, w) || hit;
  return hit;
}

function crossSite(req: FastifyRequest): boolean {
  if (req.headers['sec-fetch-site'] === 'cross-site') return true;
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return origin === 'null';
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

/** A fastify `preHandler` for write routes. */
export function adminAuth(
  token: string | undefined,
): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const want = token === undefined ? undefined : digest(token);
  return (req, reply) => {
    if (crossSite(req)) {
      return Promise.reject(
        new AiopsError(
          'AIOPS_ERR_API_FORBIDDEN',
          'cross-site writes are refused (Origin or Sec-Fetch-Site names another site)',
        ),
      );
    }
    if (!want) {
      return Promise.reject(
        new AiopsError(
          'AIOPS_ERR_API_FORBIDDEN',
          'writes are off: set server.admin_token to acknowledge, approve or switch',
        ),
      );
    }
    const header = req.headers.authorization ?? '';
    const m = /^Bearer ([^\s]+)$/i.exec(header);
    if (!m?.[1] || !timingSafeEqual(digest(m[1]), want)) {
      void reply.header(
        'www-authenticate',
        `Bearer realm="aiops-worker"${header === '' ? '' : ', error="invalid_token"'}`,
      );
      return Promise.reject(
        new AiopsError(
          'AIOPS_ERR_API_UNAUTHORIZED',
          header === ''
            ? 'this write needs Authorization: Bearer <server.admin_token>'
            : 'the bearer token is not server.admin_token',
        ),
      );
    }
    return Promise.resolve();
  };
}
