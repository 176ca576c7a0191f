/** The roles one process can run; `all` (the default) runs every one. */
export const Roles = ['ingest', 'detect', 'logs', 'correlate', 'notify', 'remediate'] as const;
export type Role = (typeof Roles)[number];

/** Parses `--role all|ingest,detect|...` into a set; throws with the valid names on a typo. */
export function parseRoles(text: string): Set<Role> {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0 || names.includes('all')) return new Set(Roles);
  const roles = new Set<Role>();
  for (const n of names) {
    if (!(Roles as readonly string[]).includes(n)) {
      throw new Error(
        `unknown role "${n}": use all or a comma-separated list of ${Roles.join(', ')}`,
      );
    }
    roles.add(n as Role);
  }
  return roles;
}
