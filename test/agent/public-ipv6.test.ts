// The stable global IPv6 among the addresses a SLAAC LAN gives a host: from /proc/net/if_inet6
// text (with the kernel's flags) and from os.networkInterfaces()-shaped data (without).
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { AddressError, chooseAddresses } from '../../agent/addresses.ts';
import { choosePublicIpv6, parseIfInet6 } from '../../agent/public-ipv6.ts';

function v6(address: string, scopeid = 0): NetworkInterfaceInfo {
  return {
    address,
    netmask: 'ffff:ffff:ffff:ffff::',
    family: 'IPv6',
    mac: '52:54:00:12:34:56',
    internal: false,
    cidr: `${address}/64`,
    scopeid,
  };
}
function v4(address: string): NetworkInterfaceInfo {
  return {
    address,
    netmask: '255.255.255.0',
    family: 'IPv4',
    mac: '52:54:00:12:34:56',
    internal: false,
    cidr: `${address}/24`,
  };
}

const STABLE = '2a01:e0a:5f0:c8e0:5054:ff:fe12:3456';
const TEMPORARY = '2a01:e0a:5f0:c8e0:d1c4:a93b:7e55:e2b1';
const OLD_TEMPORARY = '2a01:e0a:5f0:c8e0:8f2d:11aa:3c4:b5d6';
const ULA = 'fd0f:4a1c:2b3d:1:5054:ff:fe12:3456';

// A Linux host on a Freebox LAN with use_tempaddr=2: the stable SLAAC address (flags 00), two
// temporary ones (01; the older one also deprecated, 21), a ULA, link-local, and lo.
const IF_INET6 = [
  '2a010e0a05f0c8e0505400fffe123456 02 40 00 00     eth0',
  '2a010e0a05f0c8e0d1c4a93b7e55e2b1 02 40 00 01     eth0',
  '2a010e0a05f0c8e08f2d11aa03c4b5d6 02 40 00 21     eth0',
  'fd0f4a1c2b3d0001505400fffe123456 02 40 00 00     eth0',
  'fe80000000000000505400fffe123456 02 40 20 80     eth0',
  '00000000000000000000000000000001 01 80 10 80       lo',
].join('\n');

// The same host as os.networkInterfaces() shows it: no flags, temporary ones first.
const LINUX: NodeJS.Dict<NetworkInterfaceInfo[]> = {
  lo: [
    {
      address: '127.0.0.1',
      netmask: '255.0.0.0',
      family: 'IPv4',
      mac: '00:00:00:00:00:00',
      internal: true,
      cidr: '127.0.0.1/8',
    },
  ],
  eth0: [v4('192.168.1.20'), v6(TEMPORARY), v6(OLD_TEMPORARY), v6(STABLE), v6(ULA), v6('fe80::5054:ff:fe12:3456', 2)],
};

describe('parseIfInet6', () => {
  it('reads address, interface and flags from the kernel’s lines, and skips junk', () => {
    expect(parseIfInet6(IF_INET6).map((a) => [a.address, a.interface, a.flags])).toEqual([
      [STABLE, 'eth0', 0x00],
      [TEMPORARY, 'eth0', 0x01],
      [OLD_TEMPORARY, 'eth0', 0x21],
      [ULA, 'eth0', 0x00],
      ['fe80::5054:ff:fe12:3456', 'eth0', 0x80],
      ['::1', 'lo', 0x80],
    ]);
    expect(parseIfInet6('garbage\n\n20010db8 02 40 00 80 eth0')).toEqual([]);
  });
});

describe('choosePublicIpv6', () => {
  it('with the kernel’s flags: the stable global one, never a temporary, deprecated or ULA one', () => {
    expect(choosePublicIpv6('eth0', LINUX, parseIfInet6(IF_INET6))).toEqual({
      address: STABLE,
      reason: 'SLAAC global address on eth0',
    });
  });

  it('a static address before a SLAAC one; tentative and DAD-failed ones never', () => {
    const kernel = parseIfInet6(
      [
        '20010db8000100000000000000000099 02 40 00 40 eth0', // tentative (DAD running)
        '20010db8000100000000000000000098 02 40 00 88 eth0', // DAD failed
        '2a010e0a05f0c8e0505400fffe123456 02 40 00 00 eth0',
        '20010db8000100000000000000000020 02 40 00 80 eth0', // static (permanent)
      ].join('\n'),
    );
    expect(choosePublicIpv6('eth0', {}, kernel)).toEqual({
      address: '2001:db8:1::20',
      reason: 'static global address on eth0',
    });
  });

  it('says why there is none: only temporary or deprecated ones, or no global address', () => {
    const kernel = parseIfInet6(IF_INET6).filter((a) => a.address !== STABLE);
    expect(choosePublicIpv6('eth0', LINUX, kernel)).toEqual({
      address: undefined,
      reason: 'only temporary, deprecated or tentative global addresses on eth0',
    });
    expect(choosePublicIpv6('wlan0', LINUX, kernel).reason).toBe('no global IPv6 address on wlan0');
  });

  it('without flags (not Linux): the only global address, or the EUI-64 one, else none rather than a guess', () => {
    expect(choosePublicIpv6('eth0', LINUX, undefined)).toEqual({
      address: STABLE,
      reason: 'the EUI-64 global address on eth0',
    });
    expect(choosePublicIpv6('en0', { en0: [v6('2001:db8:1:2::7'), v6(ULA)] }, undefined).address).toBe(
      '2001:db8:1:2::7',
    );
    // macOS with RFC 7217 stable-privacy and temporary addresses: nothing tells them apart.
    const mac = { en0: [v6('2a01:cb00:1:2:1c8a:5b2e:9d0f:44a1'), v6('2a01:cb00:1:2:e5d2:13b:aa70:9c08')] };
    expect(choosePublicIpv6('en0', mac, undefined)).toMatchObject({
      address: undefined,
      reason: expect.stringContaining('set "publicIpv6"'),
    });
  });
});

describe('chooseAddresses with IPv6', () => {
  const route =
    'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\neth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000';

  it('the stable global IPv6 of the LAN interface beside the private IPv4 and the ULA', () => {
    expect(chooseAddresses(route, LINUX, {}, parseIfInet6(IF_INET6))).toEqual({
      privateIpv4: '192.168.1.20',
      privateIpv6: ULA,
      publicIpv6: STABLE,
      publicIpv6Reason: 'SLAAC global address on eth0',
      interface: 'eth0',
    });
  });

  it('"off" publishes none; an address is taken as given, and checked', () => {
    expect(chooseAddresses(route, LINUX, { publicIpv6: 'off' }, parseIfInet6(IF_INET6)).publicIpv6).toBeUndefined();
    expect(chooseAddresses(route, LINUX, { publicIpv6: '2001:DB8::7' }).publicIpv6).toBe('2001:db8::7');
    expect(() => chooseAddresses(route, LINUX, { publicIpv6: 'fd00::7' })).toThrow(AddressError);
    // With the private IPv4 configured, the IPv6 still comes from the default route's interface.
    expect(chooseAddresses(route, LINUX, { privateIpv4: '10.0.0.5' }, parseIfInet6(IF_INET6)).publicIpv6).toBe(STABLE);
  });
});
