/** End-to-end tests run real Debian binaries: say which one is missing and how to get it. */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function requireBinary(name: string, debianPackage: string): void {
  const found = (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!found) {
    throw new Error(
      `${name} is not on PATH: install the Debian package ${debianPackage} (apt-get install ${debianPackage}; bash .ci/run does)`,
    );
  }
}
