// Builds the @hairpin/probe package (npm run build -w @hairpin/probe; npm pack runs it). The probe
// imports the repository's shared DNS vocabulary (dns/) and contracts (contract/: the TXT control
// format), which the manager uses too, so the package carries the part of them the probe reaches,
// compiled beside it:
//   probe/dist/{probe,dns,contract}/…     JavaScript (ESM) and .d.ts, by tsc — the npm package;
//   probe/dist/jsr/                       the TypeScript sources in the same layout, with
//                                         deno.json (probe/jsr.json + the npm imports) — what
//                                         `deno publish` sends to JSR.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const probe = fileURLToPath(new URL('../probe/', import.meta.url));
const root = join(probe, '..');
const dist = join(probe, 'dist');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(probe, 'tsconfig.build.json')], { stdio: 'inherit' });

/** Every compiled module, as the repository path of its source (`probe/index.ts`, `dns/message.ts`). */
function compiled(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return compiled(path);
    return e.name.endsWith('.js') ? [relative(dist, path).replace(/\.js$/, '.ts')] : [];
  });
}

const jsr = join(dist, 'jsr');
// Deno resolves the codec from npm, the version ranges being the npm package's own; dns-packet
// has no types of its own, so its imports name @types/dns-packet (the one change to the sources).
const { dependencies } = JSON.parse(readFileSync(join(probe, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
const typed = `// @ts-types="npm:@types/dns-packet@${dependencies['@types/dns-packet']}"\nimport * as packet from 'dns-packet';`;
for (const source of [...compiled(dist), 'dns/dns-packet-types.d.ts']) {
  mkdirSync(dirname(join(jsr, source)), { recursive: true });
  writeFileSync(
    join(jsr, source),
    readFileSync(join(root, source), 'utf8').replace("import * as packet from 'dns-packet';", typed),
  );
}
copyFileSync(join(probe, 'README.md'), join(jsr, 'README.md'));
const metadata = JSON.parse(readFileSync(join(probe, 'jsr.json'), 'utf8')) as Record<string, unknown>;
const imports = {
  'dns-packet': `npm:dns-packet@${dependencies['dns-packet']}`,
  'dns-packet/': `npm:/dns-packet@${dependencies['dns-packet']}/`,
};
writeFileSync(join(jsr, 'deno.json'), `${JSON.stringify({ ...metadata, imports }, null, 2)}\n`);
if (!existsSync(join(jsr, 'probe/index.ts'))) throw new Error('the probe build staged no probe/index.ts');
