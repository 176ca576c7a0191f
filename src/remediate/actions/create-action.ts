/**
 * One hook's action from its config: `http`, `command` or `queue`. Each comes with a `close()`
 * (only the queue action holds anything: a BullMQ Queue handle), so the stage closes every
 * hook's action alike on shutdown.
 */
import type { Redis } from 'ioredis';
import type { HookAction } from '../../config/schema-remediation.js';
import type { Action } from './action.js';
import { commandAction } from './command-action.js';
import { httpAction } from './http-action.js';
import { queueAction } from './queue-action.js';

/** An action and what it holds. */
export interface ActionHandle {
  readonly run: Action;
  /** Releases what the action holds; the shared Redis connection stays open. */
  close(): Promise<void>;
}

/** What the actions need from the composition root. */
export interface ActionDeps {
  /** The worker's external URL (the http action's CloudEvent `source`). */
  readonly externalUrl: string;
  /** The worker's environment, from which a command gets only the names it lists. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly connection: Redis;
  /** The Redis key prefix (`redis.prefix`) the queue action's queue lives under. */
  readonly prefix: string;
  /** Defaults to the global fetch. */
  readonly fetch?: typeof fetch | undefined;
}

/** The action `cfg` describes. */
export function createAction(cfg: HookAction, deps: ActionDeps): ActionHandle {
  switch (cfg.type) {
    case 'http':
      return httpAction(cfg, { externalUrl: deps.externalUrl, fetch: deps.fetch });
    case 'command':
      return commandAction(cfg, { env: deps.env });
    case 'queue':
      return queueAction(cfg, { connection: deps.connection, prefix: deps.prefix });
  }
}
