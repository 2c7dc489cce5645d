// Knot (then NSD and BIND) as secondaries of the built-in server: AXFR at start, then NOTIFY + IXFR after a report,
// all TSIG-signed, checked by asking Knot itself.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestManager, type TestManager } from '../support/manager.ts';
import { freePort } from '../support/net.ts';
import { haveSystemPrograms } from '../support/system.ts';
import {
  kdigShort,
  type Secondary,
  startBind,
  startKnot,
  startNsd,
  TEST_KEY,
  TEST_KEY_SPEC,
  until,
} from './transfer-secondaries.ts';

/** A manager that NOTIFYs a secondary it feeds, with one node reported before the secondary starts. */
interface Fed {
  manager: TestManager;
  secondary: Secondary;
  credential: string;
  close(): Promise<void>;
}

async function withSecondary(start: typeof startKnot): Promise<Fed> {
  const port = await freePort();
  const manager = await startTestManager({ HAIRPIN_SECONDARIES: `127.0.0.1:${port}`, HAIRPIN_TSIG_KEY: TEST_KEY_SPEC });
  const credential = await manager.enrol('1234', 'nur1');
  await manager.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.3', publicIpv4: '203.0.113.7' });
  const secondary = await start('example.test', manager.dns.tcpPort, port).catch(async (e) => {
    await manager.close();
    throw e;
  });
  return {
    manager,
    secondary,
    credential,
    async close() {
      await secondary.close();
      await manager.close();
    },
  };
}

const have = haveSystemPrograms('knotd', 'kdig');
const run = promisify(execFile);

describe.skipIf(!have)('Knot secondary fed by AXFR/IXFR + NOTIFY with TSIG', () => {
  let fed: Fed;
  beforeAll(async () => {
    fed = await withSecondary(startKnot);
  });
  afterAll(async () => fed?.close());

  it('bootstraps the zone with a signed AXFR', async () => {
    await until(async () =>
      (await kdigShort(fed.secondary.port, 'i-nur1.pl-1234.example.test', 'A')).includes('10.1.2.3'),
    );
    expect(await kdigShort(fed.secondary.port, 'nur1.pl-1234.example.test', 'A')).toEqual(['203.0.113.7']);
    expect(await kdigShort(fed.secondary.port, 'private.canary.example.test', 'A')).toEqual(['10.255.255.254']);
    const soa = (await kdigShort(fed.secondary.port, 'example.test', 'SOA'))[0]!.split(' ');
    expect(Number(soa[2])).toBe(await fed.manager.store.serial());
    expect(fed.secondary.output()).toMatch(/AXFR, incoming.*finished/);
  });

  it('serves a new report after NOTIFY, by IXFR from the journal', async () => {
    await until(async () =>
      (await kdigShort(fed.secondary.port, 'i-nur1.pl-1234.example.test', 'A')).includes('10.1.2.3'),
    );
    const answer = await fed.manager.report('1234', 'nur1', fed.credential, {
      privateIpv4: '10.9.9.9',
      publicIpv4: '203.0.113.7',
    });
    // The SOA refresh is far longer than this bound: only the NOTIFY can bring the change in time.
    await until(
      async () => (await kdigShort(fed.secondary.port, 'i-nur1.pl-1234.example.test', 'A')).join() === '10.9.9.9',
      10_000,
    );
    expect(fed.secondary.output()).toMatch(
      new RegExp(`notify, incoming, remote 127\\.0\\.0\\.1@\\d+, serial ${answer.serial}`),
    );
    expect(fed.secondary.output()).toMatch(/IXFR, incoming, remote [\d.@]+, finished/);
    expect(fed.secondary.output()).toMatch(new RegExp(`zone updated, .*serial \\d+ -> ${answer.serial}`));
    expect(await kdigShort(fed.secondary.port, 'i-nur1.pl-1234.example.test', 'TXT')).toEqual([
      '"v=hairpin1 a=10.9.9.9"',
    ]);
  });

  it('catches up after an enrolment (no journal row) by a full zone in IXFR form', async () => {
    await fed.manager.enrol('1234', 'nur2');
    await until(
      async () => (await kdigShort(fed.secondary.port, 'i-nur2.pl-1234.example.test', 'TXT')).length === 1,
      10_000,
    );
  });

  it('refuses transfers that are unsigned or signed with another key', async () => {
    const at = ['@127.0.0.1', '-p', String(fed.manager.dns.tcpPort), '+retry=0', '+time=2'];
    const unsigned = await run('kdig', [...at, 'example.test', 'AXFR'], { timeout: 10_000 }).then(
      (r) => r.stdout + r.stderr,
      (e) => String(e.stdout) + String(e.stderr),
    );
    expect(unsigned).toMatch(/REFUSED/);
    const otherKey = `hmac-sha256:other.example.test:${TEST_KEY.secret}`;
    const bad = await run('kdig', [...at, '-y', otherKey, 'example.test', 'AXFR'], { timeout: 10_000 }).then(
      (r) => r.stdout + r.stderr,
      (e) => String(e.stdout) + String(e.stderr),
    );
    expect(bad).toMatch(/NOTAUTH|BADKEY/);
    const good = await run(
      'kdig',
      [...at, '-y', `hmac-sha256:${TEST_KEY.name}:${TEST_KEY.secret}`, 'example.test', 'AXFR'],
      { timeout: 10_000 },
    );
    expect(good.stdout).toMatch(/i-nur1\.pl-1234\.example\.test\.\s+300\s+IN\s+A\s+10\.9\.9\.9/);
    expect(good.stdout).not.toMatch(/WARNING|failed/);
  });
});

// NSD and BIND the same way: transfer, then a report followed through NOTIFY.
for (const [server, program, start, address] of [
  ['NSD', 'nsd', startNsd, '10.4.4.4'],
  ['BIND', 'named', startBind, '10.5.5.5'],
] as const) {
  describe.skipIf(!haveSystemPrograms(program, 'kdig'))(`${server} secondary fed the same way`, () => {
    let fed: Fed;
    beforeAll(async () => {
      fed = await withSecondary(start);
    });
    afterAll(async () => fed?.close());

    it('transfers the zone, then follows a report after NOTIFY', async () => {
      const name = 'i-nur1.pl-1234.example.test';
      await until(async () => (await kdigShort(fed.secondary.port, name, 'A')).includes('10.1.2.3'));
      await fed.manager.report('1234', 'nur1', fed.credential, { privateIpv4: address });
      await until(async () => (await kdigShort(fed.secondary.port, name, 'A')).join() === address, 10_000);
    });
  });
}
