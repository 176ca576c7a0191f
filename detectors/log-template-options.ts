/**
 * The template miner's options (log-templates.ts): their defaults and their valid ranges.
 */

export interface LogTemplateOptions {
  /** Depth of the parse tree: 2 levels (token count, then `depth - 2` prefix tokens) + leaves. */
  readonly depth: number;
  /** Share of tokens that must match for a message to join a template, in (0, 1]. */
  readonly similarity: number;
  /** Children per tree node; further distinct tokens route to the wildcard child. */
  readonly maxChildren: number;
  /** Templates kept; the least recently seen are evicted beyond this many. */
  readonly maxTemplates: number;
  /**
   * Distinct constant words seen at one position (all else equal) before it becomes a variable.
   * Below this, messages that differ in one word are separate templates.
   */
  readonly wordValues: number;
  /**
   * Keys whose values are part of the template (`key=value` in a line, or a logfmt/JSON field);
   * every other key's value is a variable.
   */
  readonly templateKeys: readonly string[];
}

export const DEFAULT_LOG_TEMPLATE_OPTIONS: LogTemplateOptions = {
  depth: 4,
  similarity: 0.5,
  maxChildren: 100,
  maxTemplates: 2000,
  wordValues: 6,
  templateKeys: [],
};

/** The options over the defaults; throws a RangeError on one out of range. */
export function logTemplateOptions(options: Partial<LogTemplateOptions> = {}): LogTemplateOptions {
  const o = { ...DEFAULT_LOG_TEMPLATE_OPTIONS, ...options };
  if (!(o.depth >= 3 && Number.isInteger(o.depth))) {
    throw new RangeError('depth must be an integer ≥ 3');
  }
  if (!(o.similarity > 0 && o.similarity <= 1)) {
    throw new RangeError('similarity must be in (0, 1]');
  }
  if (!(o.maxChildren >= 1)) throw new RangeError('maxChildren must be ≥ 1');
  if (!(o.maxTemplates >= 1)) throw new RangeError('maxTemplates must be ≥ 1');
  if (!(o.wordValues >= 2)) throw new RangeError('wordValues must be ≥ 2');
  return o;
}
