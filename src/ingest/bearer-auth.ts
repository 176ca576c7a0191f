/**
 * Optional bearer tokens for the ingest endpoints, one per source (a Prometheus, a Collector,
 * an Alloy...), each read from the config, an environment variable or a file, and optionally
 * limited to some endpoints. Tokens are compared in constant time: both sides are hashed to
 * the same length and every configured token is compared, whichever matches.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { MIN_TOKEN_CHARS, type IngestSource } from '../config/schema-ingest.js';
import { AiopsError } from '../errors.js';

export type { IngestSource };

export interface TokenConfig {
  readonly name: string;
  readonly token?: string | undefined;
  readonly token_env?: string | undefined;
  readonly token_file?: string | undefined;
  /** Endpoints this token may send to; all when unset. */
  readonly sources?: readonly IngestSource[] | undefined;
}

interface Token {
  readonly name: string;
  readonly digest: Buffer;
  readonly sources: ReadonlySet<IngestSource> | undefined;
}

const digestOf = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Reads each token from where the config says; throws a clear error when one is missing. */
export function resolveTokens(
  configs: readonly TokenConfig[],
  env: NodeJS.ProcessEnv = process.env,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): BearerAuth | undefined {
  if (configs.length === 0) return undefined;
  const tokens = configs.map((c): Token => {
    let value: string | undefined;
    const where = `ingest.auth.tokens ${JSON.stringify(c.name)}`;
    if (c.token !== undefined) value = c.token;
    else if (c.token_env !== undefined) {
      value = env[c.token_env];
      if (value === undefined) {
        throw new Error(`${where}: environment variable ${c.token_env} is not set`);
      }
    } else if (c.token_file !== undefined) {
      try {
        value = readFile(c.token_file);
      } catch (err) {
        throw new Error(
          `${where}: cannot read token_file ${c.token_file}: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    }
    // Secret files usually end with a newline; tokens never hold whitespace at the ends.
    value = value?.trim();
    if (value === undefined || value === '') throw new Error(`${where}: the token is empty`);
    if (value.length < MIN_TOKEN_CHARS) {
      throw new Error(`${where}: the token is shorter than ${MIN_TOKEN_CHARS} characters`);
    }
    return {
      name: c.name,
      digest: digestOf(value),
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
