// npm run bench: the manager's HTTP throughput on its embedded SQLite, measured with wrk from
// a second core against the manager pinned to one core. Figures are ratios to the same
// server's /healthz, the framework's floor on this machine in this run.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { encodeMessage, FLAG_RD } from '../dns/message.ts';
import { spawnManager } from '../test/support/process.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ADMIN = 'bench-admin';
const NODES = 200;

function have(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
}
if (!have('wrk')) {
  console.error('bench: wrk is not installed (scripts/install-system-packages.sh installs it)');
  process.exit(1);
}

interface WrkResult {
  requests: number;
  rps: number;
  p50: string;
  p99: string;
  errors: number;
}

function wrk(url: string, script?: string): WrkResult {
  const args = ['-t1', '-c32', `-d${SECONDS}s`, '--latency', ...(script ? ['-s', script] : []), url];
  // wrk runs on the second core, the manager on the first.
  const out = execFileSync('taskset', ['-c', '1', 'wrk', ...args], { encoding: 'utf8' });
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0);
  const text = (re: RegExp) => re.exec(out)?.[1] ?? '?';
  return {
    requests: num(/(\d+) requests in/),
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    // Anchored to the distribution lines: the DoH URL wrk echoes may itself contain "50%".
    p50: text(/^\s+50%\s+(\S+)/m),
    p99: text(/^\s+99%\s+(\S+)/m),
    errors: num(/Non-2xx or 3xx responses: (\d+)/) + num(/Socket errors: connect (\d+)/),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'hairpin-bench-'));
const db = join(dir, 'bench.sqlite');
const manager = await spawnManager({ HAIRPIN_DB: db, HAIRPIN_ADMIN_TOKEN: ADMIN });
try {
  execFileSync('taskset', ['-pc', '0', String(manager.child.pid)], { stdio: 'ignore' });
  const credentials: string[] = [];
  for (let i = 0; i < NODES; i++) {
    const res = await fetch(`${manager.url}/v1/licences/9000/nodes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ node: `nur${i}` }),
    });
    credentials.push(((await res.json()) as { credential: string }).credential);
  }
  const dns = Buffer.from(
    encodeMessage({
      type: 'query',
      id: 1,
      flags: FLAG_RD,
      questions: [{ type: 'A', name: 'i-nur1.pl-9000.example.test', class: 'IN' }],
    }),
  ).toString('base64url');

  // Every report changes the address (a history row, a serial bump): the expensive path.
  const reportScript = join(dir, 'report.lua');
  writeFileSync(
    reportScript,
    `
local credentials = {${credentials.map((c) => `"${c}"`).join(',')}}
local n = 0
request = function()
  n = n + 1
  local i = n % ${NODES}
  local body = string.format('{"privateIpv4":"10.%d.%d.%d","publicIpv4":"203.0.113.9"}', math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  return wrk.format("PUT", "/v1/licences/9000/nodes/nur" .. i .. "/addresses",
    { ["authorization"] = "Bearer " .. credentials[i + 1], ["content-type"] = "application/json" }, body)
end
`,
  );

  const floor = wrk(`${manager.url}/healthz`);
  const dohGet = wrk(`${manager.url}/dns-query?dns=${dns}`);
  const before = countHistory(db);
  const reports = wrk(`${manager.url}/`, reportScript);
  const stored = countHistory(db) - before;

  const rows = [
    ['/healthz (floor)', floor],
    ['DoH GET /dns-query', dohGet],
    ['report PUT (SQLite write)', reports],
  ] as const;
  console.log(`\nmanager on one core, SQLite WAL, wrk -c32 for ${SECONDS}s each (${new Date().toISOString()})\n`);
  console.log('| endpoint | req/s | ratio to /healthz | p50 | p99 | errors |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [name, r] of rows) {
    console.log(
      `| ${name} | ${Math.round(r.rps)} | ${(r.rps / floor.rps).toFixed(2)} | ${r.p50} | ${r.p99} | ${r.errors} |`,
    );
  }
  const acknowledged = reports.requests - reports.errors;
  console.log(
    `\nreports acknowledged (200): ${acknowledged}; history rows written: ${stored}; lost: ${Math.max(0, acknowledged - stored)}`,
  );
  console.log(
    `goal: >= 2,000 reports/s on one core with nothing lost -> ${reports.rps >= 2000 && stored >= acknowledged ? 'met' : 'NOT met'}`,
  );
} finally {
  await manager.stop();
  rmSync(dir, { recursive: true, force: true });
}

function countHistory(file: string): number {
  const sqlite = new DatabaseSync(file, { readOnly: true });
  const row = sqlite.prepare('SELECT count(*) AS n FROM address_history').get() as { n: number };
  sqlite.close();
  return row.n;
}
