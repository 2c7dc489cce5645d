// Real secondaries for the transfer tests and benchmark: Knot, NSD and BIND in a temp directory, on
// their own loopback port, in the foreground, fed by the manager over AXFR/IXFR with TSIG.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { which } from '../support/system.ts';
import { waitUntil } from '../support/wait.ts';
import { startDaemon } from './daemons.ts';

export const TEST_KEY = { name: 'transfer.example.test', secret: 'aGFpcnBpbi10cmFuc2Zlci10ZXN0LWtleS0yNTZiaXQ=' };
export const TEST_KEY_SPEC = `${TEST_KEY.name}:hmac-sha256:${TEST_KEY.secret}`;

export interface Secondary {
  port: number;
  /** What the server printed so far (transfer lines name AXFR/IXFR). */
  output(): string;
  close(): Promise<void>;
}

async function launch(command: string, args: string[], dir: string, port: number, zone: string): Promise<Secondary> {
  const daemon = await startDaemon(command, args, { port, probeName: zone }).catch(async (e) => {
    await rm(dir, { recursive: true, force: true });
    throw e;
  });
  return {
    port,
    output: daemon.output,
    async close() {
      await daemon.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Knot as a secondary of `zone`, transferring from the manager's port 53 with the test key and
 * accepting its NOTIFY, configured as docs/dns.md recommends: `block-notify-after-transfer`, so a
 * NOTIFY that arrives within a second of its last transfer is acted on at once (Knot otherwise
 * plans a NOTIFY of its own one second after each transfer and, its zone events being timed in
 * whole seconds, holds a refresh asked for in that second until then). `notifyAfterTransfer`
 * leaves Knot's default; `cpu` pins it to one core (the benchmark keeps it off the manager's).
 */
export async function startKnot(
  zone: string,
  primaryPort: number,
  port: number,
  options: { cpu?: number; notifyAfterTransfer?: boolean } = {},
): Promise<Secondary> {
  const dir = await mkdtemp(join(tmpdir(), 'hairpin-knot-'));
  const conf = join(dir, 'knot.conf');
  await writeFile(
    conf,
    `
server:
    rundir: "${dir}"
    listen: 127.0.0.1@${port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "${dir}"
log:
  - target: stdout
    any: info
key:
  - id: ${TEST_KEY.name}
    algorithm: hmac-sha256
    secret: ${TEST_KEY.secret}
remote:
  - id: manager
    address: 127.0.0.1@${primaryPort}
    key: ${TEST_KEY.name}
${options.notifyAfterTransfer ? '' : '    block-notify-after-transfer: on\n'}acl:
  - id: from-manager
    address: 127.0.0.1
    key: ${TEST_KEY.name}
    action: notify
template:
  - id: default
    storage: "${dir}"
    zonefile-sync: -1
    zonefile-load: none
    journal-content: changes
zone:
  - domain: ${zone}
    master: manager
    acl: from-manager
`,
  );
  const knotd = [which('knotd') ?? '/usr/sbin/knotd', '-c', conf];
  return options.cpu === undefined
    ? launch(knotd[0]!, knotd.slice(1), dir, port, zone)
    : launch('taskset', ['-c', String(options.cpu), ...knotd], dir, port, zone);
}

/** NSD as a secondary (same key, same role), when installed. */
export async function startNsd(zone: string, primaryPort: number, port: number): Promise<Secondary> {
  const dir = await mkdtemp(join(tmpdir(), 'hairpin-nsd-'));
  const conf = join(dir, 'nsd.conf');
  await writeFile(
    conf,
    `
server:
    ip-address: 127.0.0.1@${port}
    port: ${port}
    username: ""
    chroot: ""
    zonesdir: "${dir}"
    database: ""
    zonelistfile: "${dir}/zone.list"
    xfrdfile: "${dir}/xfrd.state"
    xfrdir: "${dir}"
    pidfile: "${dir}/nsd.pid"
    server-count: 1
    verbosity: 2
    logfile: "/dev/stderr"
remote-control:
    control-enable: no
key:
    name: "${TEST_KEY.name}"
    algorithm: hmac-sha256
    secret: "${TEST_KEY.secret}"
zone:
    name: "${zone}"
    zonefile: "${dir}/${zone}.zone"
    request-xfr: 127.0.0.1@${primaryPort} ${TEST_KEY.name}
    allow-notify: 127.0.0.1 ${TEST_KEY.name}
`,
  );
  return launch(which('nsd') ?? '/usr/sbin/nsd', ['-d', '-c', conf], dir, port, zone);
}

/** BIND (named) as a secondary, same key and role. */
export async function startBind(zone: string, primaryPort: number, port: number): Promise<Secondary> {
  const dir = await mkdtemp(join(tmpdir(), 'hairpin-named-'));
  const conf = join(dir, 'named.conf');
  await writeFile(
    conf,
    `
options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  notify no;
  dnssec-validation no;
};
controls { };
key "${TEST_KEY.name}" { algorithm hmac-sha256; secret "${TEST_KEY.secret}"; };
server 127.0.0.1 { keys { "${TEST_KEY.name}"; }; };
zone "${zone}" {
  type secondary;
  primaries port ${primaryPort} { 127.0.0.1 key "${TEST_KEY.name}"; };
  file "${dir}/${zone}.db";
  allow-notify { key "${TEST_KEY.name}"; };
};
`,
  );
  return launch(which('named') ?? '/usr/sbin/named', ['-g', '-c', conf], dir, port, zone);
}

/** kdig at a secondary: the +short answer lines. */
export async function kdigShort(port: number, name: string, type: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    'kdig',
    ['@127.0.0.1', '-p', String(port), '+short', '+retry=0', '+time=1', name, type],
    { timeout: 5000 },
  );
  return stdout.split('\n').filter(Boolean);
}

/** Poll until `check` holds (every 20 ms, at most `ms`); a failing check (kdig error) counts as not yet. */
export function until(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  return waitUntil(() => check().catch(() => false), {
    timeoutMs: ms,
    everyMs: 20,
    timeout: () => `condition not met within ${ms} ms`,
  });
}
