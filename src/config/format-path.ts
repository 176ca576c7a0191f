/** A problem found in a config, at its path. */
export interface ConfigIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** Formats a config path as users write it: `services.auth.depends_on[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** `path: message`, one line of `check-config`'s output. */
export const formatIssue = (issue: ConfigIssue): string =>
  `${formatPath(issue.path)}: ${issue.message}`;
