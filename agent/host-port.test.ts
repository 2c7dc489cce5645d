import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from './config.ts';
import { parseHostPort } from './host-port.ts';

describe('host:port settings', () => {
  it('reads names, IPv4, bracketed IPv6 and every port, the scheme default included', () => {
    expect(parseHostPort('192.168.1.10:5300')).toEqual({ host: '192.168.1.10', port: 5300 });
    expect(parseHostPort('[fd00::10]:53')).toEqual({ host: 'fd00::10', port: 53 });
    expect(parseHostPort('localhost:8443')).toEqual({ host: 'localhost', port: 8443 });
    // A URL would read this port as none (80 is http's default) and listen elsewhere.
    expect(parseHostPort('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(parseHostPort('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('refuses what is not host:port', () => {
    for (const spec of ['127.0.0.1', ':53', 'fd00::10:53', '[fd00::10]', 'a b:53', 'host:65536', 'host:-1', 'h:53/x'])
      expect(parseHostPort(spec), spec).toBeNull();
  });

  it('is checked when the agent loads its config, naming the setting', async () => {
    const base = {
      HAIRPIN_AGENT_MANAGER: 'https://manager.example.test',
      HAIRPIN_AGENT_LICENCE: '1234',
      HAIRPIN_AGENT_NODE: 'nur1',
      HAIRPIN_AGENT_CREDENTIAL: 'x',
      HAIRPIN_AGENT_PORT: '8443',
    };
    for (const key of ['PAIRING_LISTEN', 'LAN_DNS_LISTEN', 'RELAY_TARGET'])
      await expect(loadAgentConfig(undefined, { ...base, [`HAIRPIN_AGENT_${key}`]: 'fd00::10:53' })).rejects.toThrow(
        /must be host:port/,
      );
    const config = await loadAgentConfig(undefined, { ...base, HAIRPIN_AGENT_LAN_DNS_LISTEN: '[fd00::10]:5300' });
    expect(config.lanDnsListen).toBe('[fd00::10]:5300');
  });
});
