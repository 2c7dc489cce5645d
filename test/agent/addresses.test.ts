// Address detection from /proc/net/route text and an interface list (fixtures from real hosts).
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { AddressError, addressesChanged, chooseAddresses, defaultRouteInterfaces } from '../../agent/addresses.ts';

const HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT';
const route = (...rows: string[]) => [HEADER, ...rows].join('\n');

function v4(address: string, internal = false): NetworkInterfaceInfo {
  return {
    address,
    netmask: '255.255.255.0',
    family: 'IPv4',
    mac: '00:00:00:00:00:00',
    internal,
    cidr: `${address}/24`,
  };
}
function v6(address: string): NetworkInterfaceInfo {
  return {
    address,
    netmask: 'ffff:ffff:ffff:ffff::',
    family: 'IPv6',
    mac: '00:00:00:00:00:00',
    internal: false,
    cidr: `${address}/64`,
    scopeid: 0,
  };
}

describe('defaultRouteInterfaces', () => {
  it('finds the up default routes, lowest metric first', () => {
    const text = route(
      'wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0',
      'eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0',
      'eth0\t0000000A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0',
      'eth1\t00000000\t0100000A\t0002\t0\t0\t1\t00000000\t0\t0\t0',
    );
    expect(defaultRouteInterfaces(text)).toEqual(['eth0', 'wlan0']);
  });
});

describe('chooseAddresses', () => {
  const interfaces = {
    lo: [v4('127.0.0.1', true)],
    docker0: [v4('172.17.0.1')],
    'br-5f2a': [v4('172.18.0.1')],
    veth12ab: [v4('169.254.3.3')],
    eth0: [v4('192.168.1.20'), v6('fe80::1'), v6('FD12:3456:789A::20'), v6('2001:db8::20')],
    wwan0: [v4('100.64.3.4')],
  };

  it('takes the private IPv4 and the ULA of the default route’s interface', () => {
    expect(
      chooseAddresses(route('eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0'), interfaces),
    ).toMatchObject({
      privateIpv4: '192.168.1.20',
      privateIpv6: 'fd12:3456:789a::20',
      publicIpv6: '2001:db8::20',
      interface: 'eth0',
    });
  });

  it('skips container bridges, link-local and CGNAT when the default route gives nothing', () => {
    // The default route is on the cellular modem (CGNAT): fall back to the LAN, never to docker0.
    expect(
      chooseAddresses(route('wwan0\t00000000\t01034064\t0003\t0\t0\t50\t00000000\t0\t0\t0'), interfaces).interface,
    ).toBe('eth0');
    expect(chooseAddresses('', { docker0: [v4('172.17.0.1')], eth0: [v4('10.0.0.9')] })).toEqual({
      privateIpv4: '10.0.0.9',
      interface: 'eth0',
      publicIpv6Reason: 'no global IPv6 address on eth0',
    });
  });

  it('takes the override as given, and checks it', () => {
    expect(chooseAddresses('', {}, { privateIpv4: '10.1.2.3', privateIpv6: 'fd00::5' })).toMatchObject({
      privateIpv4: '10.1.2.3',
      privateIpv6: 'fd00::5',
      interface: 'config',
    });
    expect(() => chooseAddresses('', {}, { privateIpv4: '100.64.0.1' })).toThrow(AddressError);
    expect(chooseAddresses('', interfaces, { interface: 'eth0' }).privateIpv4).toBe('192.168.1.20');
  });

  it('says what to configure when nothing fits', () => {
    expect(() => chooseAddresses('', { eth0: [v4('192.0.2.2')], docker0: [v4('172.17.0.1')] })).toThrow(/privateIpv4/);
  });
});

describe('addressesChanged', () => {
  it('compares what the manager publishes, not the interface name', () => {
    const a = { privateIpv4: '10.0.0.1', interface: 'eth0' };
    expect(addressesChanged(undefined, a)).toBe(true);
    expect(addressesChanged(a, { ...a, interface: 'eth1' })).toBe(false);
    expect(addressesChanged(a, { ...a, privateIpv6: 'fd00::1' })).toBe(true);
    expect(addressesChanged(a, { ...a, publicIpv6: '2001:db8::20' })).toBe(true);
    expect(
      addressesChanged(
        { ...a, publicIpv6: '2001:db8::20' },
        { ...a, publicIpv6: '2001:db8::20', publicIpv6Reason: 'other words' },
      ),
    ).toBe(false);
  });
});
