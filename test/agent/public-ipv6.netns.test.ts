// The stable global IPv6 chosen from a real kernel: a namespace whose interface holds what a
// SLAAC LAN with privacy addresses gives a host (made with `ip -6 addr`; the kernel itself makes
// the RFC 8981 temporary address from the mngtmpaddr one), read by detectAddresses() run inside.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeAddresses } from '../../agent/addresses.ts';
import { parseIfInet6 } from '../../agent/public-ipv6.ts';
import { haveSystemPrograms } from '../support/system.ts';
import { waitUntil } from '../support/wait.ts';

const root = process.getuid?.() === 0;
if (!root && process.env.CI) throw new Error('the namespace test runs as root under CI');
const ready = root && haveSystemPrograms('ip');
// Not the lab's hp- prefix: a lab run removes every hp-* namespace it finds as leftovers.
const NS = `hpt-v6addr-${process.pid}`;
const ADDRESSES = fileURLToPath(new URL('../../agent/addresses.ts', import.meta.url));

const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8', timeout: 10_000 });

function detectInside(): NodeAddresses {
  const script = `const { detectAddresses } = await import(${JSON.stringify(ADDRESSES)}); process.stdout.write(JSON.stringify(await detectAddresses()));`;
  return JSON.parse(
    execFileSync('ip', ['netns', 'exec', NS, process.execPath, '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    }),
  ) as NodeAddresses;
}

describe.skipIf(!ready)('public IPv6 from a namespace', () => {
  beforeAll(() => {
    ip('netns', 'add', NS);
    ip('-n', NS, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'peer0');
    ip('netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv6.conf.lan0.use_tempaddr=2');
    ip('-n', NS, 'link', 'set', 'peer0', 'up');
    ip('-n', NS, 'link', 'set', 'lan0', 'up');
    ip('-n', NS, 'addr', 'add', '192.168.7.20/24', 'dev', 'lan0');
    ip('-n', NS, 'route', 'add', 'default', 'via', '192.168.7.1', 'dev', 'lan0');
    // SLAAC's stable address (the template for temporary ones), an address whose prefix is being
    // withdrawn (preferred lifetime 0: deprecated), and a ULA.
    ip(
      '-n',
      NS,
      'addr',
      'add',
      '2001:db8:7:1:5054:ff:fe12:3456/64',
      'dev',
      'lan0',
      'mngtmpaddr',
      'nodad',
      'valid_lft',
      '86400',
      'preferred_lft',
      '14400',
    );
    ip(
      '-n',
      NS,
      'addr',
      'add',
      '2001:db8:7:1::99/64',
      'dev',
      'lan0',
      'nodad',
      'valid_lft',
      '3600',
      'preferred_lft',
      '0',
    );
    ip('-n', NS, 'addr', 'add', 'fd00:7:1::20/64', 'dev', 'lan0', 'nodad');
  });

  afterAll(() => {
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore', timeout: 10_000 });
  });

  it('takes the stable SLAAC address: not the kernel-made temporary one, not the deprecated one, not the ULA', async () => {
    // The temporary address appears once the kernel has made it (at once, or after its DAD).
    await waitUntil(
      () =>
        parseIfInet6(ip('netns', 'exec', NS, 'cat', '/proc/net/if_inet6')).some(
          (a) => a.flags & 0x01 && !(a.flags & 0x40),
        ),
      { timeoutMs: 15_000, everyMs: 100, timeout: () => 'the kernel made no temporary address' },
    );
    const kernel = parseIfInet6(ip('netns', 'exec', NS, 'cat', '/proc/net/if_inet6'));
    expect(kernel.filter((a) => a.address.startsWith('2001:db8:7:1:')).length).toBeGreaterThanOrEqual(3);
    expect(detectInside()).toEqual({
      privateIpv4: '192.168.7.20',
      privateIpv6: 'fd00:7:1::20',
      publicIpv6: '2001:db8:7:1:5054:ff:fe12:3456',
      publicIpv6Reason: 'SLAAC global address on lan0',
      interface: 'lan0',
    });
  });

  it('a static address wins over SLAAC, and follows when it goes', () => {
    ip('-n', NS, 'addr', 'add', '2001:db8:7:1::20/64', 'dev', 'lan0', 'nodad');
    expect(detectInside().publicIpv6).toBe('2001:db8:7:1::20');
    ip('-n', NS, 'addr', 'del', '2001:db8:7:1::20/64', 'dev', 'lan0');
    expect(detectInside().publicIpv6).toBe('2001:db8:7:1:5054:ff:fe12:3456');
  });
});
