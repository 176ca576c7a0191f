/**
 * Optional bearer tokens for the ingest endpoints, one per source (a Prometheus, a Collector,
 * an Alloy...), optionally limited to some endpoints. The tokens arrive resolved: the config
 * loader is the one way secrets come in (`token: ${VAR}`, `token_file: PATH`), so nothing here
 * reads the environment or files. Tokens are compared in constant time: both sides are hashed
 * to the same length and every configured token is compared, whichever matches.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { MIN_TOKEN_CHARS, type IngestSource } from '../config/schema-ingest.js';
import { AiopsError } from '../errors.js';

export type { IngestSource };

/** One configured token, as `ingest.auth.tokens[]` holds it. */
export interface TokenConfig {
  readonly name: string;
  readonly token: string;
  /** Endpoints this token may send to; all when unset. */
  readonly sources?: readonly IngestSource[] | undefined;
}

interface Token {
  readonly name: string;
  readonly digest: Buffer;
  readonly sources: ReadonlySet<IngestSource> | undefined;
}

const digestOf = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * The auth of the configured tokens, undefined when there are none (no auth). Throws on a token
 * the schema would refuse (shorter than 16 characters), so code that builds tokens itself
 * cannot weaken them.
 */
export function resolveTokens(configs: readonly TokenConfig[]): BearerAuth | undefined {
  if (configs.length === 0) return undefined;
  const tokens = configs.map((c): Token => {
    if (c.token.length < MIN_TOKEN_CHARS) {
      throw new Error(
        `ingest.auth.tokens ${JSON.stringify(c.name)}: the token is shorter than ${MIN_TOKEN_CHARS} characters`,
      );
    }
    return {
      name: c.name,
      digest: digestOf(c.token),
      sources: c.sources ? new Set(c.sources) : undefined,
    };
  });
  return new BearerAuth(tokens);
}

export class BearerAuth {
  readonly #tokens: readonly Token[];

  constructor(tokens: readonly Token[]) {
    this.#tokens = tokens;
  }

  /**
   * The name of the token that authorises this request for `source`; throws 401 without a
   * matching token, 403 when the token is not allowed on this endpoint.
   */
  check(authorization: string | undefined, source: IngestSource): string {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
    const presented = match?.[1];
    if (presented === undefined) {
      throw new AiopsError(
        'AIOPS_ERR_INGEST_UNAUTHORIZED',
        authorization === undefined
          ? 'ingest needs an Authorization: Bearer <token> header (ingest.auth is configured)'
          : 'the Authorization header is not "Bearer <token>"',
      );
    }
    const digest = digestOf(presented);
    let found: Token | undefined;
    // Every token is compared, so the time taken does not say which (or whether one) matched.
    for (const t of this.#tokens) {
      if (timingSafeEqual(t.digest, digest) && found === undefined) found = t;
    }
    if (found === undefined) {
      throw new AiopsError('AIOPS_ERR_INGEST_UNAUTHORIZED', 'the bearer token is not known');
    }
    if (found.sources !== undefined && !found.sources.has(source)) {
      throw new AiopsError(
        'AIOPS_ERR_INGEST_FORBIDDEN',
        `token ${JSON.stringify(found.name)} may not send to ${source} (ingest.auth.tokens[].sources)`,
      );
    }
    return found.name;
  }
}
