import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markdownAnchors, markdownLinks } from '../helpers/markdown.js';

/**
 * The README is the front door: short enough to read, and its index reaches every page under
 * docs/. Every relative link in the docs must land on a file (and a heading) that exists, so a
 * page that moves or a heading that is renamed fails here instead of in a reader's browser.
 */
const root = join(import.meta.dirname, '../..');

function markdownUnder(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(root, path)).isDirectory()) return markdownUnder(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const docs = markdownUnder('docs');
const pages = ['README.md', ...docs];

const isRelative = (target: string): boolean => !/^[a-z][a-z0-9+.-]*:/i.test(target);

/** A link target as a path from the repository root, and its `#anchor` if any. */
function resolveLink(page: string, target: string): { path: string; anchor: string | undefined } {
  const [file = '', anchor] = target.split('#');
  const path = file === '' ? page : relative(root, resolve(root, dirname(page), file));
  return { path: path.split('\\').join('/'), anchor };
}

describe('docs', () => {
  it('keeps the README to 200 lines, none over 200 characters', () => {
    const lines = readme.replace(/\n$/, '').split('\n');
    expect(lines.length).toBeLessThanOrEqual(200);
    const long = lines.flatMap((l, i) => (l.length > 200 ? [`line ${i + 1}: ${l.length}`] : []));
    expect(long).toEqual([]);
  });

  it.each(pages)('%s links only to files and headings that exist', (page) => {
    const broken: string[] = [];
    for (const target of markdownLinks(readFileSync(join(root, page), 'utf8'))) {
      if (!isRelative(target)) continue;
      const { path, anchor } = resolveLink(page, target);
      if (!existsSync(join(root, path))) {
        broken.push(`${target}: no file ${path}`);
        continue;
      }
      if (anchor === undefined || anchor === '' || !path.endsWith('.md')) continue;
      const anchors = markdownAnchors(readFileSync(join(root, path), 'utf8'));
      if (!anchors.has(anchor)) broken.push(`${target}: no heading #${anchor} in ${path}`);
    }
    expect(broken).toEqual([]);
  });

  it('links every page under docs/ from the README', () => {
    const linked = new Set(
      markdownLinks(readme)
        .filter(isRelative)
        .map((t) => resolveLink('README.md', t).path),
    );
    expect(docs.filter((p) => !linked.has(p))).toEqual([]);
  });
});
