/**
 * The HTTP server: fastify with the body parsers ingest needs and one error handler that turns
 * every failure into `{code, message}` with the catalogue's status. Bad input is a 4xx; a 500
 * is only ever our own fault, and is logged.
 */
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { AiopsError, ErrorCodes, type ErrorCode } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { RejectionCounter } from '../telemetry/rejection-counter.js';
import '../ingest/ingest-route.js';
import { refusalReason } from '../ingest/refusal-reason.js';

const TEXT_TYPES = [
  'application/json',
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/x-jsonlines',
];

/** fastify's own error codes, mapped onto the catalogue. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'AIOPS_ERR_INGEST_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'AIOPS_ERR_API_BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'AIOPS_ERR_INGEST_NO_RECORDS',
};

/**
 * How a route answers an error, when not as `{code, message}` (OTLP answers a google.rpc.Status
 * in the request's encoding). The server's handler still picks the code and counts it.
 */
export type SendError = (
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: ErrorCode,
  message: string,
) => unknown;

declare module 'fastify' {
  interface FastifyContextConfig {
    sendError?: SendError;
  }
}

export interface HttpServerOptions {
  readonly bodyLimit: number;
  readonly log: Logger;
  /** Counts the requests ingest routes refuse as a whole (`aiops_ingest_rejected_total`). */
  readonly ingestRejections?: RejectionCounter;
}

export function createHttpServer(opts: HttpServerOptions): FastifyInstance {
  const logger: FastifyBaseLogger = opts.log.child({ component: 'http' });
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimit,
    // On close, drop idle keep-alive connections; requests in flight still finish.
    forceCloseConnections: 'idle',
    // While closing, requests that still arrive on open connections are served normally: their
    // samples are queued before the answer, and the batcher is drained after the server closes.
    return503OnClosing: false,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(TEXT_TYPES, { parseAs: 'string' }, (_req, body, done) => {
    done(null, body);
  });
  // remote_write bodies: bytes, decoded by the route (snappy, then protobuf).
  app.addContentTypeParser('application/x-protobuf', { parseAs: 'buffer' }, (_req, body, done) => {
    done(null, body);
  });

  app.setErrorHandler((err: FastifyError | AiopsError, req, reply) => {
    let code: ErrorCode;
    let message = err.message;
    if (err instanceof AiopsError) {
      code = err.code;
    } else if (err.code in FASTIFY_CODES) {
      code = FASTIFY_CODES[err.code] ?? 'AIOPS_ERR_API_BAD_REQUEST';
      if (code === 'AIOPS_ERR_INGEST_BODY_TOO_LARGE') {
        message = `the body is larger than the limit of ${opts.bodyLimit} bytes (server.body_limit_bytes)`;
      } else if (code === 'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE') {
        const route = req.routeOptions.url;
        const takes =
          route === '/api/v1/write'
            ? 'application/x-protobuf (a snappy-compressed remote_write 1.0 WriteRequest)'
            : route === '/api/v1/samples'
              ? 'application/json or application/x-ndjson'
              : 'application/json, or no body';
        message = `Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')} is not taken here: send ${takes}`;
      }
    } else if (
      typeof err.statusCode === 'number' &&
      err.statusCode >= 400 &&
      err.statusCode < 500
    ) {
      code = 'AIOPS_ERR_API_BAD_REQUEST';
    } else {
      code = 'AIOPS_ERR_SERVER_INTERNAL';
      req.log.error({ err, url: req.url }, 'request failed');
      message = ErrorCodes.AIOPS_ERR_SERVER_INTERNAL.message;
    }
    if (opts.ingestRejections && req.routeOptions.config.ingest) {
      const reason = refusalReason(code, err);
      if (reason !== undefined) opts.ingestRejections.inc({ reason }, 1, message);
    }
    const send = req.routeOptions.config.sendError;
    if (send) void send(req, reply, ErrorCodes[code].status, code, message);
    else void reply.code(ErrorCodes[code].status).send({ code, message });
  });

  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({
      code: 'AIOPS_ERR_API_NOT_FOUND',
      message: `no endpoint ${req.method} ${req.url.split('?')[0] ?? ''}`,
    });
  });
  return app;
}
