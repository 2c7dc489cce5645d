// `hairpin <command>`: one executable, one module per subcommand, loaded only when run; every
// command goes through runCommand (cli/command.ts) for its arguments, help and exit codes.
import { readFileSync } from 'node:fs';
import { type Command, runCommand } from './command.ts';

// biome-ignore lint/suspicious/noExplicitAny: a registry of commands whose options' types differ
const commands: Record<string, { summary: string; load: () => Promise<{ command: Command<any> }> }> = {
  manager: {
    summary: 'run the manager (HTTP API, DoH, DNS) on SQLite or Postgres',
    load: () => import('./manager.ts'),
  },
  admin: { summary: 'enrol and list licences and nodes through the manager API', load: () => import('./admin.ts') },
  agent: { summary: 'the node agent: address reports, SAN certificate, pairing URL', load: () => import('./agent.ts') },
  probe: {
    summary: "does a node's internal name resolve through this resolver, and if not, why",
    load: () => import('./probe.ts'),
  },
  zonefile: {
    summary: 'print the zone as a master file (for NSD, Knot or BIND fed by file)',
    load: () => import('./zonefile.ts'),
  },
  lab: {
    summary: 'the field lab: boxes, resolvers, phones in network namespaces, scenarios end to end (root)',
    load: () => import('./lab.ts'),
  },
};

const width = Math.max(...Object.keys(commands).map((k) => k.length));
const USAGE = `usage: hairpin <command> [options]
       hairpin --version

${Object.entries(commands)
  .map(([k, v]) => `  ${k.padEnd(width)}  ${v.summary}`)
  .join('\n')}

Examples:
  hairpin manager --http-port 8787 --dns-port 5353
  hairpin admin enrol 1234 nur1
  hairpin probe i-nur1.pl-1234.example.test --resolver 192.168.1.1

Exit codes: 0 done, 1 failed (one line on stderr says why), 2 bad usage.
hairpin <command> --help for a command's options, examples and exit codes.`;

const [name, ...args] = process.argv.slice(2);
if (name === '--version' || name === '-V') {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  console.log(`hairpin ${version}`);
} else if (name === '--help' || name === '-h' || name === 'help') {
  console.log(USAGE);
} else if (name === undefined || !Object.hasOwn(commands, name)) {
  console.error(
    `${name === undefined ? 'hairpin: no command given' : `hairpin: unknown command "${name}"`}\n\n${USAGE}`,
  );
  process.exitCode = 2;
} else {
  process.exitCode = await runCommand(name, (await commands[name]!.load()).command, args);
}
