/**
 * Options that were removed, each answered with what replaces it (rather than a bare
 * "unrecognized key"). The key is dropped before the schema sees it, so it is reported once.
 */
import { formatPath, type ConfigIssue } from './format-path.js';

interface Removed {
  /** The path of the object that held the key, as formatPath writes it. */
  readonly parent: RegExp;
  readonly key: string;
  readonly instead: (value: unknown) => string;
}

const REMOVED: readonly Removed[] = [
  {
    parent: /^ingest\.auth\.tokens\[\d+\]$/,
    key: 'token_env',
    instead: (value) =>
      `token_env was removed: write \`token: \${${typeof value === 'string' ? value : 'VAR'}}\` (a placeholder reads the environment); \`token_file: PATH\` reads a file`,
  },
];

/** `tree` without removed keys (copied where one is dropped), and an issue for each. */
export function withoutRemoved(
  tree: unknown,
  issues: ConfigIssue[],
  path: (string | number)[] = [],
): unknown {
  if (Array.isArray(tree)) return tree.map((v, i) => withoutRemoved(v, issues, [...path, i]));
  if (tree === null || typeof tree !== 'object') return tree;
  const here = formatPath(path);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(tree)) {
    const removed = REMOVED.find((r) => r.key === key && r.parent.test(here));
    if (removed) issues.push({ path: [...path, key], message: removed.instead(value) });
    else out[key] = withoutRemoved(value, issues, [...path, key]);
  }
  return out;
}
