/**
 * The guard of the read side when `server.read_token` is set: the API's GET endpoints, the
 * status page and the incident pages. The token (or the admin token) is taken as
 * `Authorization: Bearer <token>` for programs, or as the password of HTTP Basic authentication
 * (any user name) so that a browser asks for it once and sends it with every page, fetch and
 * refresh of the same origin. Without a read token every read is open, as before.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AiopsError } from '../errors.js';
import { digest, tokenIn } from './admin-auth.js';

/** The credential an Authorization header carries (bearer token or Basic password). */
function credential(header: string): string | undefined {
  const bearer = /^Bearer ([^\s]+)$/i.exec(header);
  if (bearer?.[1]) return bearer[1];
  const basic = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!basic?.[1]) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/** A fastify hook for reads; undefined when no read token is configured (reads are open). */
export function readAuth(
  readToken: string | undefined,
  adminToken: string | undefined,
): ((req: FastifyRequest, reply: FastifyReply) => Promise<void>) | undefined {
  if (readToken === undefined) return undefined;
  const wanted = [readToken, adminToken].filter((t): t is string => t !== undefined).map(digest);
  return (req, reply) => {
    const header = req.headers.authorization ?? '';
    const given = credential(header);
    if (given !== undefined && tokenIn(given, wanted)) return Promise.resolve();
    void reply.header('www-authenticate', 'Basic realm="aiops-worker", charset="UTF-8"');
    return Promise.reject(
      new AiopsError(
        'AIOPS_ERR_API_UNAUTHORIZED',
        header === ''
          ? 'reads need server.read_token: Authorization: Bearer <token>, or Basic with the token as password'
          : 'the token is neither server.read_token nor server.admin_token',
      ),
    );
  };
}

/**
 * Routes (as registered: `/incidents/:id`) the read guard covers: the API's reads and the pages,
 * not probes, /metrics, assets or the public status page.
 */
export function isGuardedRead(method: string, path: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (path === '/status/public') return false;
  return (
    path.startsWith('/api/') ||
    path === '/status' ||
    path.startsWith('/status/') ||
    path.startsWith('/incidents/')
  );
}

/**
 * Puts the read guard in front of every read of `app` (before any route is registered, so it
 * covers the ones added later too); does nothing without a read token. It decides on the route
 * the router matched (`/incidents/:id`), never on the raw URL: `/%73tatus`, an absolute-form
 * target (`GET http://host/status`) or `/status#x` reach the same route as `/status`, and
 * are guarded as it is.
 */
export function guardReads(
  app: FastifyInstance,
  readToken: string | undefined,
  adminToken: string | undefined,
): void {
  const guard = readAuth(readToken, adminToken);
  if (!guard) return;
  app.addHook('onRequest', async (req, reply) => {
    const route = req.routeOptions.url;
    if (route !== undefined && isGuardedRead(req.method, route)) await guard(req, reply);
  });
}
