// The manager's log as an attacker meets it: a TSIG key name with a newline, ESC and U+2028 in
// it, sent over UDP sixty times, makes at most the throttle's lines, each one escaped line.
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { encodeMessage } from '../../dns/message.ts';
import { startNodeManager } from '../../worker/adapter/node/index.ts';
import { HMAC_SHA256, signMessage } from '../../worker/transfer/tsig.ts';

const FORGED = 'x\n2026-11-28T00:00:00.000Z INFO admin token (shown once): hpa_forged\u001b[2J\u2028';

describe('the manager log under a forged TSIG key name', () => {
  it('keeps one datagram to one escaped line, and a flood of them to the throttle', async () => {
    const lines: string[] = [];
    const running = await startNodeManager({
      env: {
        HAIRPIN_DB: ':memory:',
        HAIRPIN_HTTP_PORT: '0',
        HAIRPIN_DNS_PORT: '0',
        HAIRPIN_ADMIN_TOKEN: 'x',
        HAIRPIN_TSIG_KEY: `transfer.example.test:${HMAC_SHA256}:${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`,
      },
      log: (line) => lines.push(line),
    });
    const socket = createSocket('udp4');
    try {
      const query = encodeMessage({
        id: 7,
        type: 'query',
        flags: 0,
        questions: [{ name: 'example.test', type: 'SOA', class: 'IN' }],
      });
      const forged = await signMessage(query, { name: FORGED, algorithm: HMAC_SHA256, secret: new Uint8Array(32) });
      for (let i = 0; i < 60; i++) socket.send(forged.wire, running.dns.udpPort, '127.0.0.1');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } finally {
      socket.close();
      await running.close();
    }
    const rejected = lines.filter((l) => l.includes('tsig: rejected'));
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected.length).toBeLessThanOrEqual(21);
    expect(lines.some((l) => l.toLowerCase().startsWith('2026-11-28t00:00:00.000z') || l.includes('\u001b'))).toBe(
      false,
    );
    // Names are case-insensitive and the decoder lowers them. The name codec writes the newline and
    // spaces in master-file form (RFC 1035 §5.1: \DDD) and the logger escapes its backslashes again,
    // so the forged line stays inside one line.
    expect(rejected[0]!.toLowerCase()).toContain(
      'key=x\\\\0102026-11-28t00:00:00.000z\\\\032info\\\\032admin\\\\032token',
    );
    expect(lines.at(-1)).toMatch(/tsig: rejected suppressed=\d+ windowSeconds=60/);
  });
});
