// Asks resolvers for one name once a second, each with glibc's bound as the lab sets it (2 s,
// one try), from inside a namespace: how long a box's resolver keeps answering once its line is
// cut, with serve-stale off and on, and how soon it answers again once the line is back. The lab
// steers it with files (ready, stop); times are wall-clock (ms since the epoch). Prints one JSON line.
//
//   node lab/outage-dns.ts '{"name":"i-nur1…","servers":["192.168.1.1","192.168.1.2"],"intervalMs":1000,…}'
import { Resolver } from 'node:dns/promises';
import { existsSync, writeFileSync } from 'node:fs';

export interface DnsWatch {
  name: string;
  servers: string[];
  intervalMs: number;
  /** Created once every server answered; questions stop once `stopFile` exists. */
  readyFile: string;
  stopFile: string;
}

export interface DnsAnswer {
  at: number;
  server: string;
  ok: boolean;
  /** The addresses answered, or the error code (ESERVFAIL, ETIMEOUT, ENODATA…). */
  saw: string;
}

async function ask(resolver: Resolver, name: string): Promise<Omit<DnsAnswer, 'server'>> {
  const at = Date.now();
  try {
    const addresses = await resolver.resolve4(name);
    return { at, ok: addresses.length > 0, saw: addresses.join(' ') };
  } catch (error) {
    return { at, ok: false, saw: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
}

async function watch(spec: DnsWatch): Promise<DnsAnswer[]> {
  const answers: DnsAnswer[] = [];
  const answered = new Set<string>();
  // One resolver per server for the whole run: a new one each question holds its sockets until
  // collected, and a 30-minute run ran out of descriptors.
  const resolvers = spec.servers.map((server) => {
    const resolver = new Resolver({ timeout: 2_000, tries: 1 });
    resolver.setServers([server]);
    return [server, resolver] as const;
  });
  while (!existsSync(spec.stopFile)) {
    const tick = Date.now();
    for (const a of await Promise.all(
      resolvers.map(async ([server, resolver]) => ({ server, ...(await ask(resolver, spec.name)) })),
    )) {
      answers.push(a);
      if (a.ok) answered.add(a.server);
    }
    if (answered.size === spec.servers.length && !existsSync(spec.readyFile)) writeFileSync(spec.readyFile, '');
    await new Promise((r) => setTimeout(r, Math.max(0, spec.intervalMs - (Date.now() - tick))));
  }
  return answers;
}

if (import.meta.main) {
  console.log(JSON.stringify(await watch(JSON.parse(process.argv[2] ?? '{}') as DnsWatch)));
}
