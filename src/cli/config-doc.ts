/**
 * `aiops-worker config-schema` and `aiops-worker config-doc`: the config's JSON Schema (editor
 * completion) and its reference page (docs/configuration.md), both generated from the one zod
 * schema and its `.describe()` texts. test/unit/config-schema.test.ts fails when the committed
 * files drift from it (`npm run config:generate` rewrites both).
 */
import { z } from 'zod';
import { configSchema } from '../config/schema.js';

/** The JSON Schema of what a config file may hold (defaults make keys optional). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input' });
}

/** The subset of JSON Schema that z.toJSONSchema writes for our schema. */
interface Node {
  readonly type?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly properties?: Readonly<Record<string, Node>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: Node | boolean;
  readonly propertyNames?: Node;
  readonly items?: Node;
  readonly enum?: readonly unknown[];
  readonly format?: string;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly minLength?: number;
  readonly minItems?: number;
  /** A tagged union (an action by its `type`): one object per variant. */
  readonly oneOf?: readonly Node[];
  readonly const?: unknown;
}

interface Row {
  readonly path: string;
  readonly node: Node;
  readonly required: boolean;
  /** For a key of one variant of a tagged union: which (`type: http`). */
  readonly variant?: string;
}

const isObject = (n: Node): boolean => n.type === 'object' && n.properties !== undefined;
const mapValue = (n: Node): Node | undefined =>
  n.type === 'object' && typeof n.additionalProperties === 'object'
    ? n.additionalProperties
    : undefined;

/** Every key under `node`, depth first; map values appear as `<name>`, list items as `[]`. */
function rows(node: Node, path: string, out: Row[]): Row[] {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const childPath = path === '' ? key : `${path}.${key}`;
    out.push({ path: childPath, node: child, required: node.required?.includes(key) ?? false });
    descend(child, childPath, out);
  }
  return out;
}

/** The variants of a union tagged by `type`, each key once per variant that has it. */
function variants(node: Node, path: string, out: Row[]): void {
  for (const v of node.oneOf ?? []) {
    const tag = v.properties?.type?.const;
    const variant = typeof tag === 'string' ? `type: ${tag}` : undefined;
    const own: Row[] = [];
    rows(
      {
        ...v,
        properties: Object.fromEntries(
          Object.entries(v.properties ?? {}).filter(([k]) => k !== 'type'),
        ),
      },
      path,
      own,
    );
    out.push(...own.map((r) => (variant ? { ...r, variant } : r)));
  }
}

function descend(node: Node, path: string, out: Row[]): void {
  if (node.oneOf) {
    const tags = node.oneOf
      .map((v) => v.properties?.type?.const)
      .filter((t) => typeof t === 'string');
    out.push({
      path: `${path}.type`,
      node: {
        type: 'string',
        enum: tags,
        description: 'Which kind; the keys below say for which.',
      },
      required: true,
    });
    variants(node, path, out);
  }
  if (isObject(node)) rows(node, path, out);
  const value = mapValue(node);
  if (value && isObject(value)) rows(value, `${path}.<name>`, out);
  if (node.items && isObject(node.items)) rows(node.items, `${path}[]`, out);
}

const code = (text: string): string => `\`${text}\``;

const plural = (type: string): string => (type.endsWith('s') ? type : `${type}s`);

function typeOf(n: Node): string {
  if (n.enum) return 'string';
  const value = mapValue(n);
  if (value) {
    const valueType = typeOf(value);
    return valueType === '' ? 'map' : `map of ${plural(valueType)}`;
  }
  if (n.type === 'array' && n.items) return `list of ${plural(typeOf(n.items))}`;
  if (n.type === 'string' && n.format === 'uri') return 'URL';
  if (n.type === 'object') return 'object';
  return n.type ?? '';
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function allowed(n: Node): string[] {
  const out: string[] = [];
  if (n.enum) out.push(`one of ${n.enum.map((v) => code(String(v))).join(', ')}`);
  const low =
    n.exclusiveMinimum !== undefined
      ? `> ${n.exclusiveMinimum}`
      : n.minimum !== undefined
        ? `≥ ${n.minimum}`
        : undefined;
  const high = n.maximum !== undefined && n.maximum !== MAX_SAFE ? `≤ ${n.maximum}` : undefined;
  if (low !== undefined || high !== undefined) out.push([low, high].filter(Boolean).join(', '));
  if (n.pattern !== undefined) out.push(`matches ${code(n.pattern)}`);
  if (n.minLength !== undefined && n.minLength > 1) out.push(`at least ${n.minLength} characters`);
  if (n.minLength === 1) out.push('not empty');
  if (n.minItems !== undefined)
    out.push(`at least ${n.minItems} item${n.minItems === 1 ? '' : 's'}`);
  if (n.propertyNames?.pattern !== undefined)
    out.push(`names match ${code(n.propertyNames.pattern)}`);
  if (n.items && !isObject(n.items)) out.push(...allowed(n.items).map((a) => `each ${a}`));
  return out;
}

/** `600000` as `600000 (10 min)`: most durations read better in minutes or hours. */
function duration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  const unit = units.find(([size]) => ms >= size && ms % size === 0);
  return unit ? ` (${ms / unit[0]} ${unit[1]})` : '';
}

function defaultOf(row: Row): string {
  const { node } = row;
  if (row.required) return 'required';
  if (node.default === undefined) return '';
  if (isObject(node) && typeof node.default === 'object') return '';
  const text = code(JSON.stringify(node.default));
  return typeof node.default === 'number' && row.path.endsWith('_ms')
    ? `${text}${duration(node.default)}`
    : text;
}

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function table(section: Row[]): string {
  const lines = [
    '| Key | Type | Default | Allowed | Description |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const row of section) {
    lines.push(
      `| ${[
        code(row.path),
        typeOf(row.node),
        defaultOf(row),
        allowed(row.node).join('; '),
        `${row.variant ? `(${row.variant}) ` : ''}${row.node.description ?? ''}`,
      ]
        .map(cell)
        .join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

const INTRO = `# Configuration reference

<!-- Generated from the config schema (src/config/schema*.ts): do not edit by hand. Regenerate
with \`npm run config:generate\` (test/unit/config-schema.test.ts fails when this page drifts). -->

aiops-worker reads one YAML file, validated by one schema. Every key but \`services\` has a
default, so a file holding only a \`services:\` map is a complete configuration;
[config/default.yaml](../config/default.yaml) is an example. Keys are snake_case everywhere,
detector parameters included.

## How a config is loaded

1. **The file**: \`--config FILE\` (\`-c\`), else the \`AIOPS_CONFIG\` environment variable, else the
   shipped \`config/default.yaml\`.
2. **Placeholders**: \`\${VAR}\` in any string is replaced by the environment variable \`VAR\`;
   \`\${VAR:-fallback}\` uses \`fallback\` when \`VAR\` is unset or empty. An unset variable without a
   fallback is an error.
3. **Secret files**: any key written \`<key>_file: PATH\` (outside \`services\`) becomes \`<key>\`
   holding the file's content, trimmed (\`token_file: /run/secrets/aiops-token\` sets \`token\`). A
   relative \`PATH\` is relative to the config file's folder; setting both \`<key>\` and
   \`<key>_file\` is an error. Placeholders and secret files are the one way secrets arrive:
   keep them out of the file itself.
4. **Environment overrides**: \`AIOPS_<SECTION>__<KEY>=value\` sets \`<section>.<key>\` (each \`__\`
   is one level down, names are lower-cased), after placeholders and secret files:
   \`AIOPS_SERVER__PORT=9000\`, \`AIOPS_INGEST__SERVICE_LABELS='[job, service]'\`. The value is read as
   a YAML scalar, so numbers, booleans and flow lists work. \`REDIS_URL\` wins over \`redis.url\`.
5. **Validation**: the schema below, then the checks only the stages can make (detector names
   and parameters, maintenance cron expressions and time zones). Every problem is printed at
   once with its path, a misspelt key or name with the one it most likely meant
   (\`server: Unrecognized key: "prot" (did you mean "port"?)\`), and the worker exits 1
   before it opens a port. The loaded config is frozen.

\`aiops-worker check-config FILE\` runs all of this without starting anything.
\`config/config.schema.json\` is the same schema as JSON Schema, for editor completion
(\`# yaml-language-server: $schema=./config.schema.json\`).

Removed options are answered with what replaces them: \`ingest.auth.tokens[].token_env: VAR\` is
now \`token: \${VAR}\`.

In the tables, \`<name>\` stands for a key of a map (a service name, a detector name) and \`[]\`
for each item of a list. Durations are in milliseconds (keys ending in \`_ms\`).
`;

/** docs/configuration.md: how a config is loaded, then every key, section by section. */
export function configReference(): string {
  const schema = configJsonSchema() as Node;
  const parts = [INTRO];
  for (const [key, node] of Object.entries(schema.properties ?? {})) {
    parts.push(`## ${key}\n`);
    // A section that is an object says what it is above its table; a map or list in its row.
    if (isObject(node) && node.description) parts.push(`${node.description}\n`);
    const section: Row[] = [{ path: key, node, required: false }];
    descend(node, key, section);
    const shown = isObject(node) ? section.slice(1) : section;
    parts.push(`${table(shown)}\n`);
  }
  return parts.join('\n');
}
