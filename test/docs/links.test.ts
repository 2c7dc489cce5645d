// The docs must stay true: every link resolves to a file of the repository (and, into a Markdown
// file, to one of its headings), and every repository path a doc names in code (`worker/app.ts`)
// exists. A doc that cites a file the repository does not hold is a doc a newcomer cannot follow.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

/** The Markdown files the repository ships (tracked, or new in this checkout), not those of dependencies. */
export function markdownFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return listed.split('\n').filter((f) => f && existsSync(join(ROOT, f)));
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
export function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const line of withoutFences(markdown).split('\n')) {
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (m)
      out.add(
        m[1]!
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\s_-]/gu, '')
          .replace(/\s/g, '-'),
      );
  }
  return out;
}

/** The text outside fenced code blocks (examples there show shell sessions, not links). */
function withoutFences(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '');
}

/** Top-level folders of the repository: a code span starting with one of them names a path in it. */
const FOLDERS = [
  'agent',
  'bench',
  'bin',
  'cli',
  'client',
  'contract',
  'dns',
  'docs',
  'lab',
  'probe',
  'schema',
  'scripts',
  'test',
  'worker',
];

type Finding = { file: string; cites: string; problem: string };

export function checkDoc(file: string): Finding[] {
  const text = withoutFences(readFileSync(join(ROOT, file), 'utf8'));
  const findings: Finding[] = [];
  const here = dirname(join(ROOT, file));
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    if (/^[a-z][a-z+.-]*:/i.test(target!)) continue; // https:, mailto:
    const [path, anchor] = target!.split('#') as [string, string | undefined];
    const resolved = path ? normalize(join(here, path)) : join(ROOT, file);
    if (relative(ROOT, resolved).startsWith('..'))
      findings.push({ file, cites: target!, problem: 'points outside the repository' });
    else if (!existsSync(resolved)) findings.push({ file, cites: target!, problem: 'no such file' });
    else if (anchor && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).has(anchor)) {
      findings.push({ file, cites: target!, problem: 'no such heading' });
    }
  }
  for (const [, span] of text.matchAll(/`([^`\s]+)`/g)) {
    const path = span!.replace(/^\.\//, '').replace(/[.,:;]$/, '');
    const top = path.split('/')[0]!;
    // Build output (`probe/dist/`) is made by a command the doc names, not kept in the repository.
    const citesRepoPath =
      FOLDERS.includes(top) && path.includes('/') && !/[*{}<>…|]/.test(path) && !path.includes('/dist/');
    const citesDoc = /^[\w./-]+\.md$/.test(path);
    if (!citesRepoPath && !citesDoc) continue;
    // A path is the repository's (`worker/app.ts`) or, for a doc, also beside the citing file.
    const found = [join(ROOT, path), join(ROOT, `${path}.ts`), join(here, path)].some((p) => existsSync(p));
    if (!found) findings.push({ file, cites: span!, problem: 'names a file the repository does not hold' });
  }
  // A doc named in prose, `(docs/relay.md)` say, must be there as much as a linked one.
  for (const [path] of text.matchAll(/\b(?:docs|client|probe)\/[\w.-]+\.md\b/g)) {
    if (!existsSync(join(ROOT, path!)))
      findings.push({ file, cites: path!, problem: 'names a document the repository does not hold' });
  }
  for (const [name] of text.matchAll(/\b[A-Z][A-Za-z-]*\.md\b/g)) {
    if (![join(ROOT, name), join(ROOT, 'docs', name), join(here, name)].some((p) => existsSync(p))) {
      findings.push({ file, cites: name, problem: 'names a document the repository does not hold' });
    }
  }
  return findings;
}

describe('docs', () => {
  const files = markdownFiles();

  it('the front page and the docs by reader are all there', () => {
    for (const f of [
      'README.md',
      'client/README.md',
      'docs/ARCHITECTURE.md',
      'docs/manager.md',
      'docs/workers.md',
      'docs/dns.md',
      'docs/agent.md',
      'docs/probe.md',
      'docs/lab.md',
      'docs/testing.md',
      'docs/benchmarks.md',
    ]) {
      expect(files).toContain(f);
    }
    // A front page, not the manual: what, the two commands, a quick start, links.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme.split('\n').length).toBeLessThan(200);
    const firstScreen = readme.split('\n').slice(0, 40).join('\n');
    expect(firstScreen).toContain('npm start');
    expect(firstScreen).toContain('npm test');
  });

  it('every link resolves to a file (and heading) of the repository, and every cited path exists', () => {
    expect(files.flatMap(checkDoc)).toEqual([]);
  });

  it('the check finds what it is for', () => {
    expect(anchors('# The manager\n## DNS behaviour\n### Deploying on Cloudflare Workers (D1)\n')).toEqual(
      new Set(['the-manager', 'dns-behaviour', 'deploying-on-cloudflare-workers-d1']),
    );
  });
});
