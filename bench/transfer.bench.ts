// Report → answer on a Knot secondary: the manager NOTIFYs, Knot asks for IXFR, and the new
// address is served. Run alone (`node bench/transfer.bench.ts`) or from `npm run bench:dns`.
import { decodeMessage, encodeMessage, records } from '../dns/message.ts';
import { startKnot, TEST_KEY_SPEC, until } from '../test/dns/transfer-secondaries.ts';
import { query, udpExchange } from '../test/dns/wire-client.ts';
import { startTestManager } from '../test/support/manager.ts';
import { freePort } from '../test/support/net.ts';
import { which } from '../test/support/system.ts';

const REPORTS = Number(process.env.BENCH_TRANSFER_REPORTS ?? 30);
const NODES = Number(process.env.BENCH_TRANSFER_NODES ?? 1000);

async function answerA(port: number, name: string): Promise<string | undefined> {
  const reply = await udpExchange(port, encodeMessage(query(name, 'A')), 500);
  const a = reply && records(decodeMessage(reply).answers).find((r) => r.type === 'A');
  return a ? String(a.data) : undefined;
}

/** Milliseconds from each report's HTTP answer to Knot serving the new address, sorted. */
export async function reportToKnotSecondary(
  reports = REPORTS,
  nodes = NODES,
): Promise<{ times: number[]; axfrMs: number }> {
  const knotPort = await freePort();
  const manager = await startTestManager({
    HAIRPIN_SECONDARIES: `127.0.0.1:${knotPort}`,
    HAIRPIN_TSIG_KEY: TEST_KEY_SPEC,
  });
  let knot: Awaited<ReturnType<typeof startKnot>> | undefined;
  try {
    // A zone of realistic shape: many enrolled, reported nodes (through the store: faster than HTTP).
    for (let i = 0; i < nodes; i++) {
      const node = `nur${i}`;
      await manager.store.createNode('1234', node, 'x'.repeat(64), Date.now());
      await manager.store.report(
        {
          licence: '1234',
          node,
          privateIpv4: `10.0.${i >> 8}.${i & 255}`,
          privateIpv6: null,
          publicIpv4: null,
          publicIpv6: null,
          port: null,
          sourceAddress: null,
          at: Date.now(),
        },
        crypto.randomUUID(),
      );
    }
    const credential = await manager.enrol('1234', 'bench');
    await manager.report('1234', 'bench', credential, { privateIpv4: '10.200.0.1' });
    const name = 'i-bench.pl-1234.example.test';
    const started = performance.now();
    knot = await startKnot('example.test', manager.dns.tcpPort, knotPort);
    const k = knot;
    await until(async () => (await answerA(k.port, name)) === '10.200.0.1', 30_000);
    const axfrMs = performance.now() - started;
    const times: number[] = [];
    for (let i = 0; i < reports; i++) {
      const address = `10.201.${i >> 8}.${(i & 255) + 1}`;
      await manager.report('1234', 'bench', credential, { privateIpv4: address });
      const t0 = performance.now();
      await until(async () => (await answerA(k.port, name)) === address, 10_000);
      times.push(performance.now() - t0);
    }
    return { times: times.sort((a, b) => a - b), axfrMs };
  } finally {
    await knot?.close();
    await manager.close();
  }
}

if (!which('knotd') && !which('/usr/sbin/knotd')) {
  console.log('report → Knot secondary answer: knotd not installed, skipped');
} else {
  const { times, axfrMs } = await reportToKnotSecondary();
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(1);
  console.log(`\nKnot secondary bootstrapped by AXFR (TSIG) of ${NODES + 1} nodes in ${axfrMs.toFixed(0)} ms`);
  console.log(
    `report → Knot secondary answer (NOTIFY + IXFR, TSIG, 20 ms NOTIFY debounce), ${times.length} reports: p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${at(1)} ms`,
  );
}
