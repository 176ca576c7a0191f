/**
 * The error catalogue: every error code a user can see, with its HTTP status. docs/errors.md
 * has a section per code (what it means, how to fix it); test/unit/errors-doc.test.ts fails
 * when the two drift.
 */
export const ErrorCodes = {
  AIOPS_ERR_CONFIG_INVALID: { status: 500, message: 'the configuration is invalid' },
  AIOPS_ERR_REDIS_UNAVAILABLE: { status: 503, message: 'Redis cannot be reached' },
  AIOPS_ERR_SERVER_PORT_UNAVAILABLE: {
    status: 500,
    message: 'the HTTP port cannot be bound (in use, not allowed, or no such address)',
  },
  AIOPS_ERR_INGEST_INVALID_JSON: { status: 400, message: 'the body is not valid JSON' },
  AIOPS_ERR_INGEST_INVALID_RECORD: { status: 400, message: 'a record does not match the format' },
  AIOPS_ERR_INGEST_NO_RECORDS: { status: 400, message: 'the body holds no records' },
  AIOPS_ERR_INGEST_MALFORMED_BODY: {
    status: 400,
    message: 'the body does not decode (snappy or protobuf)',
  },
  AIOPS_ERR_INGEST_BODY_TOO_LARGE: { status: 413, message: 'the body is larger than the limit' },
  AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'unsupported Content-Type' },
  AIOPS_ERR_INGEST_QUEUE_UNAVAILABLE: {
    status: 503,
    message: 'samples could not be queued; retry later',
  },
  AIOPS_ERR_INGEST_OVERLOADED: {
    status: 429,
    message: 'the queues are past their high-water mark; retry after Retry-After seconds',
  },
  AIOPS_ERR_INGEST_UNAUTHORIZED: {
    status: 401,
    message: 'ingest needs a valid bearer token (ingest.auth)',
  },
  AIOPS_ERR_INGEST_FORBIDDEN: {
    status: 403,
    message: 'this token may not send to this endpoint (ingest.auth.tokens[].sources)',
  },
  AIOPS_ERR_API_NOT_FOUND: { status: 404, message: 'no such endpoint' },
  AIOPS_ERR_API_BAD_REQUEST: { status: 400, message: 'the request is malformed' },
  AIOPS_ERR_INCIDENT_NOT_FOUND: { status: 404, message: 'no incident with this id' },
  AIOPS_ERR_INCIDENT_NOT_OPEN: { status: 409, message: 'the incident is not open' },
  AIOPS_ERR_API_UNAUTHORIZED: {
    status: 401,
    message:
      'this request needs a token: server.admin_token for writes, server.read_token for reads when set',
  },
  AIOPS_ERR_API_FORBIDDEN: {
    status: 403,
    message: 'writes are refused: server.admin_token is not set, or the request is cross-site',
  },
  AIOPS_ERR_REMEDIATION_NOT_FOUND: { status: 404, message: 'no remediation with this id' },
  AIOPS_ERR_REMEDIATION_NOT_PENDING: {
    status: 409,
    message: 'the remediation is not waiting for approval',
  },
  AIOPS_ERR_REMEDIATION_HELD: {
    status: 409,
    message: 'the kill switch is on: no hook runs, so nothing is approved',
  },
  AIOPS_ERR_SUPPRESSION_NOT_FOUND: { status: 404, message: 'no suppression with this id' },
  AIOPS_ERR_SUPPRESSION_LIMIT: {
    status: 409,
    message: 'the most suppressions are kept already: remove one first',
  },
  AIOPS_ERR_SERVICE_NOT_FOUND: {
    status: 404,
    message: 'no such service: neither configured nor scored recently',
  },
  AIOPS_ERR_SERVER_INTERNAL: { status: 500, message: 'internal error' },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** The page that explains every code, relative to the repository root. */
export const ERROR_DOCS_PAGE = 'docs/errors.md';

/**
 * Where a code is explained: `docs/errors.md#aiops_err_ingest_invalid_json`. The page has a
 * heading per code, and GitHub's anchor for a heading that is one code is the code in lower
 * case, so an error answer or log line can point the reader at its "How to fix".
 */
export function errorDocsPath(code: ErrorCode): string {
  return `${ERROR_DOCS_PAGE}#${code.toLowerCase()}`;
}

/** An error that carries a catalogue code and the HTTP status that goes with it. */
export class AiopsError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** For ingest: the `reason` label this refusal is counted under, when not the code's own. */
  readonly reason: string | undefined;
  constructor(
    code: ErrorCode,
    message?: string,
    options?: ErrorOptions & { reason?: string | undefined },
  ) {
    super(message ?? ErrorCodes[code].message, options);
    this.name = 'AiopsError';
    this.code = code;
    this.status = ErrorCodes[code].status;
    this.reason = options?.reason;
  }
}
