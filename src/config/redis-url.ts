/**
 * What a Redis URL may look like, checked where it is given (`redis.url`, `REDIS_URL`) rather
 * than found out by a connection that never comes up: `redis://` or `rediss://` (TLS) with a
 * host, an optional port 1-65535 and an optional database number, or the absolute path of a
 * Unix socket. ioredis reads more than that (`host:port`, `redis:/host` as a host named
 * "redis"), which is how a typo became a worker retrying a host that does not exist.
 */
import { redactUrlText } from './redact-url.js';

const EXAMPLE = 'redis://host:6379 (rediss:// for TLS)';

/** Why `text` is not a Redis URL the worker can use, or undefined when it is one. */
export function redisUrlProblem(text: string): string | undefined {
  const safe = redactUrlText(text);
  const shown = `"${safe}"`;
  if (text.trim() === '') return `${shown} is not a Redis URL: write ${EXAMPLE}`;
  if (text.trim() !== text) return `${shown} is not a Redis URL: remove the spaces around it`;
  if (text.startsWith('/') && !text.startsWith('//')) return undefined; // a Unix socket
  const scheme = /^([a-z][a-z0-9+.-]*):(?!\d)/i.exec(text)?.[1];
  if (scheme === undefined) {
    return `${shown} is not a Redis URL: it has no scheme; write redis://${safe.replace(/^\/+/, '')}`;
  }
  if (!/^rediss?$/i.test(scheme)) {
    return `${shown} is not a Redis URL: the scheme is "${scheme}:", it must be redis:// or rediss:// (TLS)`;
  }
  const rest = text.slice(scheme.length + 1);
  if (!rest.startsWith('//')) {
    return `${shown} is not a Redis URL: write two slashes after "${scheme}:", as in ${scheme}://${safe.slice(scheme.length + 1).replace(/^\/+/, '')}`;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    const port = /^\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/?#]*)(?::([^/?#]*))?/.exec(rest)?.[1];
    if (port !== undefined && !/^\d{1,5}$/.test(port)) {
      return `${shown} is not a Redis URL: the port "${port}" is not a number 1-65535`;
    }
    if (port !== undefined && Number(port) > 65535) {
      return `${shown} is not a Redis URL: the port ${port} is not a number 1-65535`;
    }
    if (/^\/\/(?:[^@/]*@)?(?::|\/|$)/.test(rest)) {
      return `${shown} is not a Redis URL: it names no host; write ${EXAMPLE}`;
    }
    return `${shown} is not a Redis URL: it does not parse; write ${EXAMPLE}`;
  }
  if (url.hostname === '') return `${shown} is not a Redis URL: it names no host; write ${EXAMPLE}`;
  if (url.port === '0') return `${shown} is not a Redis URL: the port 0 is not a number 1-65535`;
  if (url.pathname !== '' && !/^\/\d*$/.test(url.pathname)) {
    return `${shown} is not a Redis URL: the path "${url.pathname}" must be a database number (/0 to /15 as a rule)`;
  }
  return undefined;
}
