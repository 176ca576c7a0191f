import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the nearest folder above this file holding our package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (
      existsSync(file) &&
      (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'aiops-worker'
    ) {
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the aiops-worker package root');
    dir = up;
  }
}

export function packageVersion(): string {
  return (
    JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }
  ).version;
}

/** The shipped default config (`config/default.yaml` in the package). */
export function defaultConfigPath(): string {
  return join(packageRoot(), 'config', 'default.yaml');
}
