import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listZoneRecords, toZoneFile } from '../../worker/zone/zone-file.ts';
import { startTestManager, type TestManager } from '../support/manager.ts';

describe('toZoneFile', () => {
  it('writes absolute names, quoted and escaped TXT, and the SOA on one line', () => {
    const text = toZoneFile('example.test', [
      {
        type: 'SOA',
        name: 'example.test',
        ttl: 3600,
        class: 'IN',
        data: {
          mname: 'ns1.example.test',
          rname: 'hostmaster.example.test',
          serial: 7,
          refresh: 3600,
          retry: 600,
          expire: 1209600,
          minimum: 60,
        },
      },
      { type: 'TXT', name: 'X.example.test.', ttl: 60, class: 'IN', data: ['say "hi" \\ é'] },
      { type: 'AAAA', name: 'i-nur1.pl-1234.example.test', ttl: 60, class: 'IN', data: 'fd00::5' },
    ]);
    expect(text).toBe(
      [
        '$ORIGIN example.test.',
        'example.test. 3600 IN SOA ns1.example.test. hostmaster.example.test. 7 3600 600 1209600 60',
        'x.example.test. 60 IN TXT "say \\"hi\\" \\\\ \\195\\169"',
        'i-nur1.pl-1234.example.test. 60 IN AAAA fd00::5',
        '',
      ].join('\n'),
    );
  });
});

describe('listZoneRecords', () => {
  let manager: TestManager;
  beforeAll(async () => {
    manager = await startTestManager({ HAIRPIN_NAMESERVERS: 'ns1.example.test=192.0.2.53' });
    const credential = await manager.enrol('1234', 'nur1');
    await manager.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.3', publicIpv4: '198.51.100.7' });
    await manager.enrol('1234', 'nur2');
  });
  afterAll(async () => manager?.close());

  it("lists the SOA first, then glue, canaries and every node name's records", async () => {
    const lines = (await listZoneRecords(manager.config, manager.store)).map((r) => `${r.name} ${r.type}`);
    expect(lines[0]).toBe('example.test SOA');
    expect(lines).toEqual(
      expect.arrayContaining([
        'example.test NS',
        'ns1.example.test A',
        'private.canary.example.test A',
        'ula.canary.example.test AAAA',
        'nur1.pl-1234.example.test A',
        'i-nur1.pl-1234.example.test A',
        'i-nur1.pl-1234.example.test TXT',
        'i-nur2.pl-1234.example.test TXT',
      ]),
    );
    expect(lines.filter((l) => l.endsWith(' SOA'))).toHaveLength(1);
  });
});
