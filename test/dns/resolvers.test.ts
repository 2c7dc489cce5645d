// Real resolvers in front of the built-in server: what a shop's box or an ISP runs. Each is
// pointed at the zone (stub or forward) and asked for the reported node's two names.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLAG_RD, headerRcode, records } from '../../dns/message.ts';
import { Rcode } from '../../dns/rcode.ts';
import { startTestManager, type TestManager } from '../support/manager.ts';
import { freePort } from '../support/net.ts';
import { haveSystemPrograms } from '../support/system.ts';
import { type Daemon, startDaemon } from './daemons.ts';
import { query, tcpAsk, udpAsk } from './wire-client.ts';

const have = haveSystemPrograms('unbound', 'named', 'dnsmasq');

interface Resolver {
  name: string;
  start(dir: string, port: number, dnsPort: number): Promise<Daemon>;
}

const resolvers: Resolver[] = [
  {
    name: 'unbound',
    async start(dir, port, dnsPort) {
      const conf = join(dir, 'unbound.conf');
      // do-not-query-localhost: no lets it reach a server on 127.0.0.1; no private-address lines,
      // so it passes the RFC 1918 answer of the internal name. Root forwarded to us too, so it never
      // tries the real root servers.
      await writeFile(
        conf,
        `server:
  interface: 127.0.0.1
  port: ${port}
  do-daemonize: no
  use-syslog: no
  logfile: ""
  pidfile: ""
  chroot: ""
  username: ""
  directory: "${dir}"
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "iterator"
  local-zone: "test." nodefault
  do-ip6: no
stub-zone:
  name: "example.test"
  stub-addr: 127.0.0.1@${dnsPort}
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@${dnsPort}
`,
      );
      return startDaemon('unbound', ['-d', '-c', conf], { port, probeName: 'example.test' });
    },
  },
  {
    name: 'named',
    async start(dir, port, dnsPort) {
      const conf = join(dir, 'named.conf');
      // Forward only, everywhere: named must never try the root servers from a test.
      await writeFile(
        conf,
        `options {
  directory "${dir}";
  pid-file none;
  session-keyfile "${dir}/session.key";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion yes;
  allow-query { 127.0.0.0/8; };
  dnssec-validation no;
  forward only;
  forwarders { 127.0.0.1 port ${dnsPort}; };
};
zone "example.test" { type forward; forward only; forwarders { 127.0.0.1 port ${dnsPort}; }; };
`,
      );
      return startDaemon('named', ['-g', '-4', '-n', '1', '-c', conf], { port, probeName: 'example.test' });
    },
  },
  {
    name: 'dnsmasq',
    async start(_dir, port, dnsPort) {
      return startDaemon(
        'dnsmasq',
        [
          '-d',
          '--conf-file=/dev/null',
          '--pid-file=',
          '--no-resolv',
          '--no-hosts',
          `--port=${port}`,
          '--listen-address=127.0.0.1',
          '--bind-interfaces',
          `--server=/example.test/127.0.0.1#${dnsPort}`,
        ],
        { port, probeName: 'example.test' },
      );
    },
  },
];

describe.skipIf(!have)('resolvers in front of the built-in server', () => {
  let manager: TestManager;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hairpin-resolvers-'));
    manager = await startTestManager();
    const credential = await manager.enrol('1234', 'nur1');
    await manager.report('1234', 'nur1', credential, {
      privateIpv4: '10.1.2.3',
      privateIpv6: 'fd00::5',
      publicIpv4: '198.51.100.7',
    });
  });
  afterAll(async () => {
    await manager?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const resolver of resolvers) {
    describe(resolver.name, () => {
      let daemon: Daemon;
      beforeAll(async () => {
        const sub = join(dir, resolver.name);
        await mkdir(sub);
        daemon = await resolver.start(sub, await freePort(), manager.dns.udpPort);
      });
      afterAll(async () => daemon?.stop());

      const resolve = async (name: string, type: 'A' | 'AAAA', tcp = false) => {
        const answer = await (tcp ? tcpAsk : udpAsk)(daemon.port, { ...query(name, type, 1232), flags: FLAG_RD });
        return records(answer?.answers)
          .filter((r) => r.type === type)
          .map((r) => String(r.data));
      };

      it('resolves the external and internal names of a reported node', async () => {
        expect(await resolve('nur1.pl-1234.example.test', 'A')).toEqual(['198.51.100.7']);
        expect(await resolve('i-nur1.pl-1234.example.test', 'A')).toEqual(['10.1.2.3']);
        expect(await resolve('i-nur1.pl-1234.example.test', 'AAAA', true)).toEqual(['fd00::5']);
      });

      it('passes on NXDOMAIN for a node that does not exist', async () => {
        const answer = await udpAsk(daemon.port, { ...query('i-nur9.pl-1234.example.test', 'A'), flags: FLAG_RD });
        expect(headerRcode(answer!)).toBe(Rcode.NXDOMAIN);
      });
    });
  }
});
