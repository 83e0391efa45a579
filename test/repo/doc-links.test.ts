import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** Every relative link of the README and docs/ points to a file of the repository, and every #anchor to a heading. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Written on another branch (the benchmarks'); until it is merged, links to it may dangle. Checked once it exists. */
const PENDING = new Set(['docs/performance.md']);
const documents = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** Headings and links of a Markdown text, ignoring fenced code. */
function parse(markdown: string): { anchors: Set<string>; links: string[] } {
  const anchors = new Set<string>();
  const links: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced) continue;
    const h = /^#{1,6} (.*)$/.exec(line);
    if (h) anchors.add(slug(h[1]!));
    for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) links.push(m[1]!);
  }
  return { anchors, links };
}

describe('links between the README and docs/', () => {
  it('makes anchors as GitHub does', () => {
    expect(slug('Quick start (fresh machine, Node.js ≥ 20.19)')).toBe('quick-start-fresh-machine-nodejs--2019');
    expect(slug('11. The deep-paging limit (code 60000)')).toBe('11-the-deep-paging-limit-code-60000');
  });

  it.each(documents)('%s', (doc) => {
    const broken: string[] = [];
    for (const link of parse(readFileSync(join(ROOT, doc), 'utf8')).links) {
      if (/^[a-z]+:/.test(link)) continue; // absolute URLs are not checked here
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path ? normalize(join(dirname(doc), path)) : doc;
      if (!existsSync(join(ROOT, target))) {
        if (PENDING.has(target)) continue;
        broken.push(`${link}: no file ${target}`);
        continue;
      }
      if (
        anchor !== undefined &&
        target.endsWith('.md') &&
        !parse(readFileSync(join(ROOT, target), 'utf8')).anchors.has(anchor)
      ) {
        broken.push(`${link}: no heading #${anchor} in ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
