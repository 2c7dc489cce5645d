// `hairpin agent`: the node agent. Configured by a JSON file (--config, or $HAIRPIN_AGENT_CONFIG)
// and HAIRPIN_AGENT_* variables (see docs/agent.md, "Commands").
import { detectAddresses, formatAddresses } from '../agent/addresses.ts';
import { NodeAgent } from '../agent/agent.ts';
import { certificatePaths, readCertificateStatus } from '../agent/cert/keeper.ts';
import { type AgentConfig, envName, loadAgentConfig } from '../agent/config.ts';
import { formatDecision } from '../agent/pairing.ts';
import { readState } from '../agent/state.ts';
import { loggerFromEnv } from '../log/logger.ts';
import { defineCommand, UsageError } from './command.ts';

async function status(config: AgentConfig, json: boolean): Promise<number> {
  const state = await readState(config.certDir);
  const detected = await detectAddresses(config).then(
    (a) => a,
    (e: Error) => ({ error: e.message }),
  );
  const certificate = await readCertificateStatus(certificatePaths(config.certDir).chain).then(
    (s) => s ?? null,
    (e: Error) => ({ error: e.message }),
  );
  const view = {
    node: `${config.node} (licence ${config.licence})`,
    manager: config.manager,
    detected,
    reported: state.addresses ?? null,
    lastReport: state.lastReport ?? null,
    certificate,
    pairing: state.pairing ?? null,
  };
  if (json) {
    console.log(JSON.stringify(view, null, 2));
    return 0;
  }
  const line = (k: string, v: string) => console.log(`${k.padEnd(14)} ${v}`);
  line('node', view.node);
  line('manager', view.manager);
  line(
    'addresses',
    'error' in detected ? `not detected: ${detected.error}` : `${formatAddresses(detected)} on ${detected.interface}`,
  );
  if (!('error' in detected)) line('public IPv6', `${detected.publicIpv6 ?? 'none'} (${detected.publicIpv6Reason})`);
  line(
    'last report',
    state.lastReport
      ? `${state.lastReport.at} ${state.lastReport.ok ? `ok, serial ${state.lastReport.serial}` : `FAILED: ${state.lastReport.error}`}`
      : 'none yet',
  );
  line(
    'certificate',
    !certificate
      ? `none in ${certificatePaths(config.certDir).chain}`
      : 'error' in certificate
        ? certificate.error
        : `${certificate.names.join(', ')}; expires ${certificate.notAfter}, renewal around ${certificate.renewAt}`,
  );
  line(
    'pairing',
    state.pairing
      ? `${state.pairing.url} (${state.pairing.decidedAt})${state.pairing.warning ? `\n${' '.repeat(15)}WARNING: ${state.pairing.warning}` : ''}`
      : 'not decided yet',
  );
  return 0;
}

export const command = defineCommand({
  usage: `usage: hairpin agent <action> [--config FILE] [--json]

  run                       report addresses, keep the certificate, answer pairing (until SIGTERM)
  status                    addresses, last report, certificate expiry, pairing decision
  pairing-url [--resolver HOST[:PORT]]
                            decide the URL to hand an app now, and say why
  addresses                 the addresses this machine would report (private, ULA, stable global IPv6)
  renew [--force]           obtain or renew the certificate now if due (always with --force)

--config defaults to $HAIRPIN_AGENT_CONFIG; every key can also come from HAIRPIN_AGENT_<KEY>
(HAIRPIN_AGENT_MANAGER, _LICENCE, _NODE, _CREDENTIAL, _PORT, _CERT_DIR, _ACME_DIRECTORY, …).`,
  examples: [
    'hairpin agent run --config /etc/hairpin/agent.json',
    'hairpin agent status --json',
    'hairpin agent pairing-url --resolver 192.168.1.1',
  ],
  options: {
    config: { type: 'string' },
    json: { type: 'boolean' },
    resolver: { type: 'string' },
    force: { type: 'boolean' },
  },
  async run({ values, positionals }) {
    const [action] = positionals;
    if (!action) throw new UsageError('no action given');
    if (!['run', 'status', 'pairing-url', 'addresses', 'renew'].includes(action))
      throw new UsageError(`unknown action "${action}"`);
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
    let config: AgentConfig;
    try {
      config = await loadAgentConfig(values.config ?? process.env.HAIRPIN_AGENT_CONFIG, process.env);
    } catch (e) {
      // Detecting addresses needs no manager: only the overrides matter.
      if (action !== 'addresses') throw new UsageError((e as Error).message);
      config = Object.fromEntries(
        (['privateIpv4', 'privateIpv6', 'interface', 'publicIpv6'] as const).map((k) => [k, process.env[envName(k)]]),
      ) as unknown as AgentConfig;
    }
    const print = (value: unknown, text: string) => console.log(values.json ? JSON.stringify(value, null, 2) : text);
    switch (action) {
      case 'run': {
        // Its lines carry what the manager and the network said: escaped and throttled.
        const logger = loggerFromEnv(process.env);
        const agent = new NodeAgent(config, { log: (line) => logger.info(line) });
        // Listen first: a SIGTERM while start() is still at work (its first report may already
        // be in) must stop the agent, not kill the process halfway through a state write.
        const stopping = new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        // A stop during the start jitter ends the wait rather than outlasting it.
        await Promise.race([agent.start(), stopping]);
        await stopping;
        await agent.stop();
        logger.flush();
        return 0;
      }
      case 'status':
        return status(config, values.json ?? false);
      case 'pairing-url': {
        const agent = new NodeAgent(config);
        const decision = await agent.decidePairing(values.resolver ? { resolver: values.resolver } : {});
        print(decision, formatDecision(decision));
        return 0;
      }
      case 'addresses': {
        const a = await detectAddresses(config);
        print(a, `${formatAddresses(a)} (${a.interface})`);
        return 0;
      }
      default: {
        const keeper = await new NodeAgent(config).keeper();
        if (!keeper) throw new Error('no acmeDirectory configured');
        const result = await keeper.ensure({ force: values.force ?? false });
        print(
          result,
          result.renewed
            ? `new certificate (${result.reason}), expires ${result.status.notAfter}`
            : `not due: expires ${result.status.notAfter}, renewal at ${result.status.renewAt}`,
        );
        return 0;
      }
    }
  },
});
