// The import rules of docs/ARCHITECTURE.md, checked: the table of who may import whom is read from
// the doc itself, so the prose and the check cannot drift apart. Every import of every shipped
// module (type-only ones too) is resolved and held against it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const ARCHITECTURE = readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');

/** Tests, benchmarks and the Deno test drivers may import anything; the rules are for shipped code. */
const isTest = (f: string) => /^(test|bench)\//.test(f) || /\.test\.ts$|\.deno\.ts$/.test(f);
const part = (f: string) => f.split('/')[0]!;

export interface Import {
  from: string;
  /** A repository path for a relative import, else the package or `node:` specifier. */
  to: string;
  relative: boolean;
}

/** Source with comments blanked, so examples in doc comments are not taken for imports. */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

export function importsOf(file: string): Import[] {
  const source = code(readFileSync(join(ROOT, file), 'utf8'));
  const specifiers = [
    ...source.matchAll(/(?:^|[\s;])(?:import|export)\s[^'";]*?\sfrom\s*['"]([^'"]+)['"]/g),
    ...source.matchAll(/(?:^|[\s;])import\s*['"]([^'"]+)['"]/g),
    ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return specifiers.map((spec) =>
    spec.startsWith('.')
      ? { from: file, to: relative(ROOT, normalize(join(ROOT, dirname(file), spec))), relative: true }
      : { from: file, to: spec, relative: false },
  );
}

function sources(): string[] {
  const listed = execFileSync(
    'git',
    ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.js', '*.cjs', '*.mjs'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  return listed.split('\n').filter((f) => f && existsSync(join(ROOT, f)) && f.includes('/'));
}

/** `| \`probe/\` | \`dns/\` |` rows of the doc's "Who may import whom" table. */
export function mayImport(doc: string): Map<string, Set<string>> {
  const section = doc.slice(doc.indexOf('## Who may import whom'));
  const rows = section.split('\n').filter((l) => /^\| `[a-z]+\/` \|/.test(l));
  return new Map(
    rows.map((row) => {
      const [folder, allowed] = row
        .split('|')
        .slice(1, 3)
        .map((cell) => [...cell.matchAll(/`([a-z]+)\/`/g)].map((m) => m[1]!));
      return [folder![0]!, new Set(allowed)];
    }),
  );
}

/** The lab's way in: the entries a user of the parts would import. */
export const PUBLIC_ENTRIES = [
  /^agent\/index\.ts$/,
  /^client\/index\.ts$/,
  /^client\/bundle\.ts$/,
  /^client\/last-known-address\.ts$/,
  // The API's bodies: what a user driving the HTTP API reads and writes.
  /^contract\/[a-z-]+\.ts$/,
  /^probe\/index\.ts$/,
  /^probe\/adapter\/[a-z]+\/index\.ts$/,
  /^worker\/adapter\/(node|deno|workers)\/index\.ts$/,
];
const NODE_WING = /^worker\/(adapter\/node|dns-server|transfer)\//;
const RUNTIME_ADAPTER = /^worker\/adapter\/(node|deno|workers)\//;
const STORE_ADAPTER = /^worker\/adapter\/sqlite\//;
/** Code that must run on Workers, Deno, Node and (probe, client) in browsers. */
const WEB_STANDARD = (f: string) =>
  f.startsWith('contract/') ||
  (f.startsWith('worker/') && !NODE_WING.test(f) && !f.startsWith('worker/adapter/')) ||
  (f.startsWith('probe/') && !f.startsWith('probe/adapter/')) ||
  f.startsWith('dns/') ||
  (f.startsWith('client/') && f !== 'client/bundle.ts') ||
  (f.startsWith('schema/') && f !== 'schema/read-migrations.ts');

export type Rule = (i: Import) => string | undefined;

export function rules(table: Map<string, Set<string>>): Rule[] {
  return [
    (i) => (i.relative && !existsSync(join(ROOT, i.to)) ? `${i.to} does not exist` : undefined),
    (i) => {
      if (!i.relative || part(i.to) === part(i.from)) return undefined;
      const allowed = table.get(part(i.from));
      if (!allowed) return `${part(i.from)}/ has no row in docs/ARCHITECTURE.md`;
      return allowed.has(part(i.to)) ? undefined : `${part(i.from)}/ may not import ${part(i.to)}/`;
    },
    (i) =>
      part(i.from) === 'lab' && i.relative && part(i.to) !== 'lab' && !PUBLIC_ENTRIES.some((e) => e.test(i.to))
        ? `lab/ imports ${i.to}, which is not a public entry`
        : undefined,
    (i) =>
      i.relative && NODE_WING.test(i.to) && !NODE_WING.test(i.from) && part(i.from) !== 'cli'
        ? `only the Node wing and the CLI import the Node wing (${i.to})`
        : undefined,
    (i) => {
      const a = RUNTIME_ADAPTER.exec(i.from)?.[1] ?? (STORE_ADAPTER.test(i.from) ? 'sqlite' : undefined);
      const b = RUNTIME_ADAPTER.exec(i.to)?.[1];
      return i.relative && a && b && a !== b ? `adapter ${a} imports adapter ${b}` : undefined;
    },
    (i) =>
      i.relative && i.to === 'schema/read-migrations.ts' && !STORE_ADAPTER.test(i.from)
        ? 'schema/read-migrations.ts is for the store adapter'
        : undefined,
    (i) => {
      if (!WEB_STANDARD(i.from) || i.relative) return undefined;
      if (i.to.startsWith('node:') && !(i.to === 'node:buffer' && !i.from.startsWith('client/')))
        return `${i.to} in web-standard code`;
      return ['pg', '@hono/node-server', 'esbuild'].includes(i.to) ? `${i.to} in web-standard code` : undefined;
    },
  ];
}

/** Strongly connected groups of more than one module (Tarjan). */
export function cycles(edges: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do group.push((w = stack.pop()!));
      while (w !== v);
      if (group.length > 1) found.push(group.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('import rules (docs/ARCHITECTURE.md)', () => {
  const files = sources();
  const shipped = files.filter((f) => !isTest(f));
  const imports = shipped.flatMap(importsOf);
  const table = mayImport(ARCHITECTURE);

  it('the doc names every part of the tree, and every public entry the lab may use', () => {
    const parts = new Set(shipped.map(part));
    for (const p of parts) expect(table.has(p), `${p}/ has no row in the table`).toBe(true);
    for (const entry of ['agent/index.ts', 'client/index.ts', 'client/bundle.ts', 'probe/index.ts'])
      expect(ARCHITECTURE).toContain(entry);
  });

  it('every import of shipped code keeps the rules', () => {
    const broken = imports.flatMap((i) =>
      rules(table)
        .map((rule) => rule(i))
        .filter(Boolean)
        .map((why) => `${i.from} → ${i.to}: ${why}`),
    );
    expect(broken).toEqual([]);
  });

  it('no shipped module imports a test or benchmark', () => {
    expect(imports.filter((i) => i.relative && isTest(i.to)).map((i) => `${i.from} → ${i.to}`)).toEqual([]);
  });

  it('a test beside its module starts no Debian daemon: those tests live in test/<part>/', () => {
    const beside = files.filter((f) => f.endsWith('.test.ts') && !/^(test|bench)\//.test(f));
    const daemons = beside
      .flatMap(importsOf)
      .filter((i) => i.relative && i.to === 'test/support/system.ts')
      .map((i) => i.from);
    expect(daemons).toEqual([]);
  });

  it('outside worker/store/, shipped code reaches the database through the Store, never its db', () => {
    const reaching = shipped.filter(
      (f) =>
        f.endsWith('.ts') &&
        !f.startsWith('worker/store/') &&
        /\bstore\.db\b/.test(code(readFileSync(join(ROOT, f), 'utf8'))),
    );
    expect(reaching).toEqual([]);
  });

  it('there are no import cycles', () => {
    const edges = new Map<string, string[]>();
    for (const i of imports) if (i.relative && !isTest(i.to)) edges.set(i.from, [...(edges.get(i.from) ?? []), i.to]);
    expect(cycles(edges)).toEqual([]);
  });

  it('dns/ holds only what the probe or the agent shares with the manager', () => {
    const edges = new Map<string, string[]>();
    for (const i of imports) if (i.relative) edges.set(i.from, [...(edges.get(i.from) ?? []), i.to]);
    const reached = new Set<string>();
    const walk = (f: string) => {
      if (reached.has(f)) return;
      reached.add(f);
      for (const t of edges.get(f) ?? []) walk(t);
    };
    for (const f of shipped) if (f.startsWith('probe/') || f.startsWith('agent/')) walk(f);
    const dnsModules = shipped.filter((f) => f.startsWith('dns/') && f.endsWith('.ts') && !f.endsWith('.d.ts'));
    expect(dnsModules.filter((f) => !reached.has(f))).toEqual([]);
  });

  it('the checks catch what they are for', () => {
    const t = mayImport('## Who may import whom\n| `probe/` | `dns/` |\n| `lab/` | `agent/` |\n');
    const broken = (from: string, to: string) =>
      rules(t)
        .map((r) => r({ from, to, relative: true }))
        .filter(Boolean);
    expect(broken('probe/probe.ts', 'worker/app.ts')).toContain('probe/ may not import worker/');
    expect(broken('lab/field.ts', 'agent/pairing.ts')).toContain(
      'lab/ imports agent/pairing.ts, which is not a public entry',
    );
    expect(
      rules(t)
        .map((r) => r({ from: 'worker/app.ts', to: 'node:fs', relative: false }))
        .filter(Boolean),
    ).toEqual(['node:fs in web-standard code']);
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['a']],
          ['c', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b']]);
    expect(importsOf('test/architecture/imports.test.ts').map((i) => i.to)).toContain('node:child_process');
  });
});
