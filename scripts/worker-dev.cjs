// `npm run worker:dev [-- wrangler dev flags]`: the Worker on this machine, working from a fresh
// clone: .dev.vars made from .dev.vars.example (the local admin token), the D1 migrations applied
// to the local database, then `wrangler dev`. Offline: nothing here needs the network.
const { copyFileSync, existsSync } = require('node:fs');
const { spawn, spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
// No Request.cf download from workers.cloudflare.com (a placeholder is used), no telemetry.
const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' };

if (!existsSync(join(root, '.dev.vars'))) {
  copyFileSync(join(root, '.dev.vars.example'), join(root, '.dev.vars'));
  console.log('worker:dev: made .dev.vars from .dev.vars.example (local admin token: dev-admin-token)');
}
const migrated = spawnSync(wrangler, ['d1', 'migrations', 'apply', 'hairpin', '--local'], {
  cwd: root,
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (migrated.status !== 0) {
  console.error('worker:dev: applying the D1 migrations to the local database failed');
  process.exit(migrated.status ?? 1);
}
const dev = spawn(wrangler, ['dev', ...process.argv.slice(2)], { cwd: root, env, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => dev.kill(signal));
dev.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
