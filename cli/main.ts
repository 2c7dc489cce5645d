// `hairpin <command>`: one executable, one module per subcommand.
const commands: Record<string, { summary: string; load: () => Promise<{ run(args: string[]): Promise<number> }> }> = {
  manager: { summary: 'run the manager (HTTP API, DoH, DNS) on SQLite or Postgres', load: () => import('./manager.ts') },
  admin: { summary: 'enrol and list licences and nodes through the manager API', load: () => import('./admin.ts') },
  agent: { summary: 'the node agent: address reports, SAN certificate, pairing URL', load: () => import('./agent.ts') },
  probe: { summary: 'does a node\'s internal name resolve through this resolver, and if not, why', load: () => import('./probe.ts') },
  zonefile: { summary: 'print the zone as a master file (for NSD, Knot or BIND fed by file)', load: () => import('./zonefile.ts') },
  lab: { summary: 'the field lab: boxes, resolvers, phones in network namespaces, scenarios end to end (root)', load: () => import('./lab.ts') },
};

const [name, ...args] = process.argv.slice(2);
const command = name ? commands[name] : undefined;
if (!command) {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  console.log(`usage: hairpin <command> [options]\n\n${Object.entries(commands).map(([k, v]) => `  ${k.padEnd(width)}  ${v.summary}`).join('\n')}\n\nhairpin <command> --help for a command's options`);
  process.exitCode = name && name !== '--help' && name !== 'help' ? 2 : 0;
} else {
  try {
    process.exitCode = await (await command.load()).run(args);
  } catch (e) {
    // The exit codes the docs promise: 2 for bad usage (an option parseArgs refuses), 1 for a
    // command that failed (a manager that cannot be reached, say), with one line, not a stack.
    const usage = String((e as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS');
    console.error(`hairpin ${name}: ${(e as Error).message}${usage ? '\n(hairpin ' + name + ' --help for its options)' : ''}`);
    process.exitCode = usage ? 2 : 1;
  }
}
