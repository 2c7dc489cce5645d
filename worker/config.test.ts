import { describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv } from './config.ts';

describe('configuration', () => {
  it('takes name servers with glue, several addresses each', () => {
    const config = configFromEnv({ HAIRPIN_NAMESERVERS: 'ns1.example.test=192.0.2.53,2001:DB8::53 ns2.example.net' });
    expect(config.nameServers).toEqual([
      { name: 'ns1.example.test', ipv4: ['192.0.2.53'], ipv6: ['2001:db8::53'] },
      { name: 'ns2.example.net', ipv4: [], ipv6: [] },
    ]);
  });

  it('says which variable is wrong and why', () => {
    expect(() => configFromEnv({ HAIRPIN_ADDRESS_TTL: '-1' })).toThrow(ConfigError);
    expect(() => configFromEnv({ HAIRPIN_CANARY_PRIVATE_IPV4: '203.0.113.1' })).toThrow(
      /HAIRPIN_CANARY_PRIVATE_IPV4 must be an RFC 1918/,
    );
    expect(() => configFromEnv({ HAIRPIN_ZONE: 'bad_zone' })).toThrow(/invalid zone/);
    expect(() => configFromEnv({ HAIRPIN_APPS_TARGET: 'nonsense' })).toThrow(/HAIRPIN_APPS_TARGET/);
  });
});
