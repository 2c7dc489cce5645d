// The browser build of the client: one ES module for Chrome 120+, made with esbuild. A build-time
// helper for Node (the lab's app store serves it, the Chromium tests load it); the client itself
// never imports this file.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const clientDir = fileURLToPath(new URL('.', import.meta.url));

/**
 * Bundle the client, or a script that imports it (`import … from './index.ts'`), e.g. an app's
 * service worker.
 *
 * ```ts
 * const js = await browserBundle(); // client/index.ts
 * const sw = await browserBundle(`import { routeThroughHairpin } from './index.ts'; routeThroughHairpin(self, …);`);
 * ```
 */
export async function browserBundle(script?: string): Promise<string> {
  const result = await build({
    ...(script === undefined
      ? { entryPoints: [`${clientDir}index.ts`] }
      : { stdin: { contents: script, resolveDir: clientDir, loader: 'ts' as const } }),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    write: false,
  });
  return result.outputFiles[0]!.text;
}
