#!/usr/bin/env node
// The one executable. Node >= 22.18 runs the TypeScript sources directly (type stripping).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `hairpin needs Node >= 22.18 (this is ${process.version}). In a checkout, "npm install" brings one: run through "npm start" / "npx hairpin".`,
  );
  process.exit(1);
}
// node:sqlite works and is what the embedded store uses; its "experimental" notice is noise here.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  if (String(warning).includes('SQLite is an experimental feature')) return;
  return emitWarning.call(process, warning, ...rest);
};
await import('../cli/main.ts');
