// The client's browser size: what an app pays for importing @hairpin/client, bundled and minified
// by esbuild for Chrome 120+, then gzipped. `npm run size -w @hairpin/client` prints it; the
// package test (test/packages/packages.test.ts) measures the packed and installed package and
// fails over the budget.
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** The budget for the whole client, gzipped (bytes); client/README.md states it. */
export const CLIENT_GZIP_BUDGET = 8 * 1024;

export interface BrowserSize {
  minified: number;
  gzipped: number;
}

/**
 * Bundle `script` (imports resolved from `resolveDir`, module names swapped by `alias`) for a
 * browser and weigh it.
 */
export async function browserSize(
  script: string,
  resolveDir: string,
  alias?: Record<string, string>,
): Promise<BrowserSize & { code: string }> {
  const result = await build({
    stdin: { contents: script, resolveDir, loader: 'js' },
    ...(alias ? { alias } : {}),
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    write: false,
  });
  const code = result.outputFiles[0]!.contents;
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length, code: new TextDecoder().decode(code) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const client = fileURLToPath(new URL('../client/', import.meta.url));
  const whole = await browserSize("export * from './index.ts';", client);
  const one = await browserSize("export { nodeOrigins } from './index.ts';", client);
  console.log(
    `@hairpin/client in a browser bundle: ${whole.minified} B minified, ${whole.gzipped} B gzipped (budget ${CLIENT_GZIP_BUDGET} B); nodeOrigins alone: ${one.gzipped} B gzipped`,
  );
  if (whole.gzipped > CLIENT_GZIP_BUDGET) process.exit(1);
}
