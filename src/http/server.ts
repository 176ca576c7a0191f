/**
 * The HTTP server every stage's routes are registered on: fastify with text bodies (routes
 * parse them) and one error handler that turns every failure into `{code, message}` with the
 * catalogue's status (error-answer.ts). It knows no stage: ingest brings its own parsers, guard
 * and refusal counting as a plugin, the API its routes.
 */
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
} from 'fastify';
import { errorDocsPath, type AiopsError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import { errorAnswer, sendErrorAnswer } from './error-answer.js';

/** Bodies read as text; each route parses its own (JSON, NDJSON). */
export const TEXT_TYPES = [
  'application/json',
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/x-jsonlines',
];

export interface HttpServerOptions {
  readonly bodyLimit: number;
  readonly log: Logger;
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
    // A remediation id (`<incident>.<hook>.<reopened>.<target>`) is a path parameter: up to 64
    // characters of hook and 128 of service name, and more.
    routerOptions: { maxParamLength: 512 },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(TEXT_TYPES, { parseAs: 'string' }, (_req, body, done) => {
    done(null, body);
  });
  // No answer is ever to be read as another type than it says (JSON as HTML, say).
  app.addHook('onSend', (_req, reply, payload, done) => {
    void reply.header('x-content-type-options', 'nosniff');
    done(null, payload);
  });
  app.setErrorHandler((err: FastifyError | AiopsError, req, reply) => {
    sendErrorAnswer(req, reply, errorAnswer(err, req));
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({
      code: 'AIOPS_ERR_API_NOT_FOUND',
      message: `no endpoint ${req.method} ${req.url.split('?')[0] ?? ''}`,
      docs: errorDocsPath('AIOPS_ERR_API_NOT_FOUND'),
    });
  });
  return app;
}
