/**
 * Which detector scores a series: `detect.detectors.default`, unless an override's match (metric
 * and/or service, `*` wildcards) names another. Detectors are built once per rule. Also the
 * config checks: unknown detector names, unknown parameters, parameters a detector refuses.
 */
import type { Detector } from '../../detectors/contract.js';
import {
  DEFAULT_DETECTOR,
  detectorRegistry,
  type DetectorParams,
} from '../../detectors/registry.js';
import { didYouMean } from '../config/did-you-mean.js';
import { formatIssue, type ConfigIssue } from '../config/format-path.js';
import type { Config } from '../config/schema.js';
import type { SeriesMeta } from '../queues/contract.js';

type DetectConfig = Config['detect'];

// Config files (and bench --params) spell parameters in snake_case only, as every config key;
// the detectors' own objects are camelCase.
const camel = (key: string): string => key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
const snake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function detectorNames(): string[] {
  return Object.keys(detectorRegistry);
}

/** Checks snake_case parameter keys against the detector's own, and turns them to camelCase. */
function normaliseParams(
  name: string,
  raw: Readonly<Record<string, unknown>>,
  path: (string | number)[],
  issues: ConfigIssue[],
): DetectorParams {
  const entry = detectorRegistry[name];
  const out: Record<string, unknown> = {};
  if (!entry) return out;
  const known = Object.keys(entry.defaults).map(snake);
  for (const [key, value] of Object.entries(raw)) {
    const k = camel(key);
    if (/[A-Z]/.test(key) || !(k in entry.defaults)) {
      const spelt = snake(key);
      issues.push({
        path: [...path, key],
        message: known.includes(spelt)
          ? `parameters are snake_case: write ${spelt}`
          : `unknown parameter of ${name}${didYouMean(key, known)} (known: ${known.join(', ')})`,
      });
      continue;
    }
    const expected = typeof entry.defaults[k];
    if (typeof value !== expected || (expected === 'number' && !Number.isFinite(value))) {
      issues.push({
        path: [...path, key],
        message: `must be a ${expected === 'number' ? 'finite number' : expected}, got ${JSON.stringify(value)}`,
      });
      continue;
    }
    out[k] = value;
  }
  return out;
}

function build(
  name: string,
  params: DetectorParams,
  path: (string | number)[],
  issues: ConfigIssue[],
): Detector<unknown> | undefined {
  const resolved = name === 'default' ? DEFAULT_DETECTOR : name;
  const entry = detectorRegistry[resolved];
  if (!entry) {
    issues.push({
      path,
      message: `unknown detector "${name}"${didYouMean(name, detectorNames())} (known: ${detectorNames().join(', ')})`,
    });
    return undefined;
  }
  try {
    return entry.create(params);
  } catch (err) {
    issues.push({ path, message: (err as Error).message });
    return undefined;
  }
}

const glob = (pattern: string): RegExp =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );

export interface DetectorChoice {
  /** The detector for a series. */
  readonly forSeries: (meta: Pick<SeriesMeta, 'metric' | 'service'>) => Detector<unknown>;
  readonly defaultDetector: Detector<unknown>;
}

/** Builds the choice, collecting every config problem instead of throwing on the first. */
export function detectorChoice(detect: DetectConfig): {
  choice?: DetectorChoice;
  issues: ConfigIssue[];
} {
  const issues: ConfigIssue[] = [];
  const base = ['detect', 'detectors'];
  // Every params entry is checked once, whether or not a rule uses it.
  const normalised = new Map<string, DetectorParams>();
  /** Detectors whose `params` entry is already reported: not reported again where used. */
  const refused = new Set<string>();
  for (const [name, raw] of Object.entries(detect.detectors.params)) {
    const path = [...base, 'params', name];
    if (!detectorRegistry[name]) {
      issues.push({
        path,
        message: `unknown detector "${name}"${didYouMean(name, detectorNames())}`,
      });
      continue;
    }
    const params = normaliseParams(name, raw, path, issues);
    normalised.set(name, params);
    // trend_forecast needs an override's threshold.
    if (name !== 'trend_forecast' && !build(name, params, path, issues)) refused.add(name);
  }
  const resolve = (name: string): string =>
    name === 'default'
      ? detect.detectors.default === 'default'
        ? DEFAULT_DETECTOR
        : detect.detectors.default
      : name;
  const defaultName = resolve(detect.detectors.default);
  const defaultDetector = refused.has(defaultName)
    ? undefined
    : build(defaultName, normalised.get(defaultName) ?? {}, [...base, 'default'], issues);
  const rules = detect.detectors.overrides.map((o, i) => {
    const path = [...base, 'overrides', i];
    const use = resolve(o.use);
    const params = {
      ...(normalised.get(use) ?? {}),
      ...normaliseParams(use, o.params, [...path, 'params'], issues),
    };
    const own = Object.keys(o.params).length > 0;
    // With the `params` entry refused (reported already), the override's own params are
    // checked alone, so that a problem is not reported twice.
    const checked = refused.has(use)
      ? normaliseParams(use, o.params, [...path, 'params'], [])
      : params;
    return {
      metric: o.match.metric === undefined ? undefined : glob(o.match.metric),
      service: o.match.service === undefined ? undefined : glob(o.match.service),
      // A refusal is reported where it comes from: the override's own params, else its `use`
      // (unless the detector's `params` entry was refused already).
      detector:
        !own && refused.has(use)
          ? undefined
          : build(use, checked, [...path, own ? 'params' : 'use'], issues),
    };
  });
  if (issues.length > 0 || !defaultDetector) return { issues };
  return {
    issues,
    choice: {
      defaultDetector,
      forSeries: (meta) => {
        for (const r of rules) {
          if (
            (r.metric === undefined || r.metric.test(meta.metric)) &&
            (r.service === undefined || r.service.test(meta.service))
          ) {
            return r.detector ?? defaultDetector;
          }
        }
        return defaultDetector;
      },
    },
  };
}

/** The choice of a validated config (parseConfig checked it): throws if it is not valid. */
export function detectorChoiceOrThrow(detect: DetectConfig): DetectorChoice {
  const { choice, issues } = detectorChoice(detect);
  if (!choice) throw new Error(issues.map(formatIssue).join('; '));
  return choice;
}

/** A detector by name for `aiops-worker score` (`default` = the configured default). */
export function detectorByName(name: string, detect: DetectConfig): Detector<unknown> {
  const choice = detectorChoiceOrThrow(detect);
  if (name === 'default') return choice.defaultDetector;
  const entry = detectorRegistry[name];
  if (!entry) {
    throw new Error(
      `unknown detector "${name}"${didYouMean(name, detectorNames())}: use default or one of ${detectorNames().join(', ')}`,
    );
  }
  const issues: ConfigIssue[] = [];
  const params = normaliseParams(
    name,
    detect.detectors.params[name] ?? {},
    ['detect', 'detectors', 'params', name],
    issues,
  );
  if (issues.length > 0) throw new Error(issues.map(formatIssue).join('; '));
  return entry.create(params);
}
