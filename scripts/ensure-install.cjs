// Runs before `npm start` / `npm test` with whatever Node the machine has (Node 20 included):
// on a fresh clone it installs the dependencies, which bring the Node 22 binary the scripts
// then run on (package "node" in devDependencies puts it first on the scripts' PATH).
const { existsSync } = require('node:fs');
const { execSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
if (
  !existsSync(join(root, 'node_modules', '.bin', 'node')) ||
  !existsSync(join(root, 'node_modules', '.bin', 'vitest'))
) {
  console.log('hairpin: first run, installing dependencies (npm install)…');
  execSync('npm install --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}
