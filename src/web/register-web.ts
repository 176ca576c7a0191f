/** The pages on the server every process runs (their reads go through the read guard). */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import { webSources } from './web-sources.js';
import { registerWebRoutes } from './web-routes.js';

export function registerWeb(app: FastifyInstance, config: Readonly<Config>, redis: Redis): void {
  registerWebRoutes(app, webSources(config, redis));
}
