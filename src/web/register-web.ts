/** The pages on the server every process runs (their reads go through the read guard). */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { StatusSource } from '../api/status-loader.js';
import type { Config } from '../config/schema.js';
import { webSources } from './web-sources.js';
import { registerWebRoutes } from './web-routes.js';

/** `status`: the process's one status source, shared with the API (built here when unset). */
export function registerWeb(
  app: FastifyInstance,
  config: Readonly<Config>,
  redis: Redis,
  status?: StatusSource,
): void {
  registerWebRoutes(app, webSources(config, redis, status));
}
