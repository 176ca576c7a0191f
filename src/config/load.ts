/**
 * Loads the YAML configuration: `${VAR}` / `${VAR:-default}` placeholders, `<key>_file`
 * secret references, `AIOPS_<SECTION>__<KEY>` environment overrides, then the schema, then
 * the caller's checks (the stages' own, composed in src/service/config-checks.ts: config/
 * imports no stage). Every problem is reported with its path, all in one pass; nothing here
 * exits or logs (the caller decides).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument, parse as parseYamlScalar } from 'yaml';
import { z } from 'zod';
import { configSchema, graphIssues, type Config } from './schema.js';
import { formatIssue, formatPath, type ConfigIssue } from './format-path.js';
import { normalised } from './normalise.js';
import { withoutRemoved } from './removed.js';
import { schemaIssues } from './schema-issues.js';

export class ConfigError extends Error {
  readonly problems: readonly string[];
  /** What was fixed without complaint (configNotes), printed after the problems. */
  readonly notes: readonly string[];
  constructor(source: string, problems: readonly string[], notes: readonly string[] = []) {
    super(`invalid configuration ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
    this.notes = notes;
  }
}

const NOTES = new WeakMap<object, readonly string[]>();

/**
 * What the loader fixed without complaint, as `path: note` lines (an Alertmanager URL with its
 * API path on it, say): `check-config` prints them, `start` logs them.
 */
export function configNotes(config: Readonly<Config>): readonly string[] {
  return NOTES.get(config) ?? [];
}

/**
 * Checks beyond the schema. It gets every top-level section that is valid on its own (all of
 * them when the whole config is), so its problems are reported with the schema's.
 */
export type ConfigCheck = (sections: Partial<Config>) => readonly ConfigIssue[];

type Env = Readonly<Record<string, string | undefined>>;
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${VAR}` and `${VAR:-default}` in every string of the tree. */
function expandPlaceholders(
  node: Json,
  env: Env,
  path: (string | number)[],
  problems: string[],
): Json {
  if (typeof node === 'string') {
    return node.replace(PLACEHOLDER, (_m, name: string, fallback: string | undefined) => {
      const value = env[name];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      problems.push(`${formatPath(path)}: environment variable ${name} is not set`);
      return '';
    });
  }
  if (Array.isArray(node))
    return node.map((v, i) => expandPlaceholders(v, env, [...path, i], problems));
  if (node !== null && typeof node === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(node))
      out[k] = expandPlaceholders(v, env, [...path, k], problems);
    return out;
  }
  return node;
}

/** `password_file: /run/secrets/x` becomes `password: <file content, trimmed>`. */
function resolveFileRefs(
  node: Json,
  baseDir: string,
  path: (string | number)[],
  problems: string[],
): Json {
  if (Array.isArray(node))
    return node.map((v, i) => resolveFileRefs(v, baseDir, [...path, i], problems));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k.endsWith('_file') && k.length > 5 && path[0] !== 'services') {
      const target = k.slice(0, -5);
      if (typeof v !== 'string') {
        problems.push(`${formatPath([...path, k])}: must be a file path`);
        continue;
      }
      if (Object.hasOwn(node, target)) {
        problems.push(`${formatPath([...path, k])}: set either ${target} or ${k}, not both`);
        continue;
      }
      try {
        out[target] = readFileSync(resolve(baseDir, v), 'utf8').trim();
      } catch (err) {
        problems.push(`${formatPath([...path, k])}: cannot read ${v}: ${(err as Error).message}`);
      }
      continue;
    }
    out[k] = resolveFileRefs(v, baseDir, [...path, k], problems);
  }
  return out;
}

/**
 * `AIOPS_SERVER__PORT=9000` sets `server.port`; the value is read as a YAML scalar. `set`
 * collects which variable set which path, so a problem there names the variable, not the file.
 */
function applyEnvOverrides(root: Json, env: Env, set: Map<string, string>): Json {
  const tree = root !== null && typeof root === 'object' && !Array.isArray(root) ? root : {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('AIOPS_') || !name.includes('__') || raw === undefined) continue;
    const keys = name.slice('AIOPS_'.length).toLowerCase().split('__');
    let cursor = tree;
    keys.slice(0, -1).forEach((key) => {
      const next = cursor[key];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) cursor[key] = {};
      cursor = cursor[key] as { [k: string]: Json };
    });
    cursor[keys[keys.length - 1] ?? ''] = parseYamlScalar(raw) as Json;
    set.set(keys.join('.'), name);
  }
  return tree;
}

/** Nothing of a value is valid: `salvage`'s answer. */
const NOTHING = Symbol('nothing valid');

const isMap = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * `value` with what `schema` refuses left out where that leaves something valid: a key of an
 * object (which then takes its default), never an item of a list or an entry of a map (their
 * positions and names are what the checks report, so they are kept whole or not at all).
 */
function salvage(schema: z.ZodType, value: unknown): unknown {
  if (schema.safeParse(value).success) return value;
  let inner: unknown = schema;
  while (
    inner instanceof z.ZodDefault ||
    inner instanceof z.ZodPrefault ||
    inner instanceof z.ZodOptional
  ) {
    inner = inner.unwrap();
  }
  let kept: unknown = NOTHING;
  if (inner instanceof z.ZodObject && isMap(value)) {
    const shape = inner.shape as Record<string, z.ZodType>;
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(shape)) {
      if (!Object.hasOwn(value, key)) continue;
      const v = salvage(field, value[key]);
      if (v !== NOTHING) out[key] = v;
    }
    kept = out;
  } else if (inner instanceof z.ZodArray && Array.isArray(value)) {
    const element = inner.element as z.ZodType;
    const items = value.map((v: unknown) => salvage(element, v));
    if (!items.includes(NOTHING)) kept = items;
  } else if (inner instanceof z.ZodRecord && isMap(value)) {
    const valueType = inner.valueType as z.ZodType;
    const entries = Object.entries(value).map(([k, v]) => [k, salvage(valueType, v)] as const);
    if (!entries.some(([, v]) => v === NOTHING)) kept = Object.fromEntries(entries);
  }
  return kept !== NOTHING && schema.safeParse(kept).success ? kept : NOTHING;
}

/**
 * Every top-level section of `input`, less what the schema refuses where that leaves it valid,
 * so the checks beyond the schema (detector names, graph) run in the same pass as the schema's
 * and `check-config` says everything at once: `detect.detectors.default: unknown detector
 * "ensamble"` beside `detect.anomaly_threshold: Too big`, not after it is fixed.
 */
function validSections(input: unknown): Partial<Config> {
  const tree = isMap(input) ? input : {};
  const sections: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(configSchema.shape) as [string, z.ZodType][]) {
    const kept = salvage(schema, tree[key]);
    if (kept !== NOTHING) sections[key] = schema.parse(kept);
  }
  return sections;
}

export interface ParseOptions {
  /** Names the config in the error (a file name). */
  readonly source?: string;
  /** The stages' checks (src/service/config-checks.ts `configIssues`). */
  readonly check?: ConfigCheck | undefined;
}

/** Validates an already-parsed config object. Throws ConfigError with every problem. */
export function parseConfig(raw: unknown, options: ParseOptions = {}): Readonly<Config> {
  const issues: ConfigIssue[] = [];
  const notes: ConfigIssue[] = [];
  const input = normalised(withoutRemoved(raw ?? {}, issues), notes);
  const result = configSchema.safeParse(input);
  const sections = result.success ? result.data : validSections(input);
  if (!result.success) issues.push(...schemaIssues(configSchema, result.error));
  if (sections.services) issues.push(...graphIssues(sections.services));
  if (options.check) issues.push(...options.check(sections));
  if (issues.length > 0 || !result.success) {
    throw new ConfigError(
      options.source ?? '(inline)',
      issues.map(formatIssue),
      notes.map(formatIssue),
    );
  }
  const config = deepFreeze(result.data);
  NOTES.set(config, notes.map(formatIssue));
  return config;
}

/** Reads, expands and validates a YAML config file. Throws ConfigError with every problem. */
export function loadConfig(file: string, env: Env, check?: ConfigCheck): Readonly<Config> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read file: ${(err as Error).message}`]);
  }
  return parseConfigText(text, file, env, check);
}

/** Parses YAML text as a config (placeholders, file refs and overrides included). */
export function parseConfigText(
  text: string,
  source: string,
  env: Env,
  check?: ConfigCheck,
): Readonly<Config> {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => `YAML: ${e.message.split('\n')[0] ?? ''}`),
    );
  }
  const problems: string[] = [];
  const json = (doc.toJS() ?? {}) as Json;
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ConfigError(source, ['(root): must be a mapping of keys to values']);
  }
  const expanded = expandPlaceholders(json, env, [], problems);
  const withFiles = resolveFileRefs(
    expanded,
    source === '(inline)' ? process.cwd() : dirname(source),
    [],
    problems,
  );
  const fromEnv = new Map<string, string>();
  const overridden = applyEnvOverrides(withFiles, env, fromEnv);
  /** A problem at a path an environment variable set says which variable set it. */
  const named = (problem: string): string => {
    for (const [path, name] of fromEnv) {
      if (problem.startsWith(`${path}:`) || problem.startsWith(`${path}.`)) {
        return `${problem} (set by the environment variable ${name})`;
      }
    }
    return problem;
  };
  try {
    const config = parseConfig(overridden, { source, check });
    if (problems.length > 0) throw new ConfigError(source, problems, configNotes(config));
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new ConfigError(source, [...problems, ...err.problems.map(named)], err.notes);
    }
    throw err;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
