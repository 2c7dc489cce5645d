// Brings the whole field up, in order, and keeps what the scenarios need to know about it.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PairingDecision } from '../agent/index.ts';
import { applyBoxFirewalls, setCarrierPolicy } from './firewall.ts';
import { type Internet, MANAGER_URL, PEBBLE_DIRECTORY, ROOT, startInternet, startNode } from './internet.ts';
import { startIpv6Edge } from './ipv6.ts';
import {
  BOXES,
  type BoxKey,
  type BoxPlan,
  INET,
  NODE_LAN_DNS_PORT,
  NODE_PORT,
  names,
  SERVICES,
  WAN_DELAY_MS,
} from './plan.ts';
import { measureResolvers, type ResolverBehaviour, startResolvers } from './resolvers.ts';
import { shapeLinks } from './shaping.ts';
import { type Daemon, inNs, waitFor } from './shell.ts';
import { buildTopology, labNamespaces, removeTopology } from './topology.ts';

/** The agent's pairing decision, as the table shows it. */
export interface Pairing {
  url: string;
  kind: 'internal' | 'external-hairpin' | 'external-warning' | 'relay';
  /** With `relay`: the relay origin the app falls back to. */
  relayUrl?: string;
  verdict: string;
  warning?: string;
  advice?: string[];
  explanation: string[];
}

export interface NodeStatus {
  names: { external: string; internal: string; relay?: string };
  /** From enrolment to the demo API serving the agent's first certificate (report, DNS-01 through the manager, Pebble). */
  certificateMs: number;
  pairing: Pairing;
  /** `hairpin agent pairing-url` in the node's namespace again, as the installer would. */
  pair: () => Promise<Pairing>;
}

function pairingView(d: PairingDecision): Pairing {
  const kind =
    d.kind === 'internal' || d.kind === 'relay'
      ? d.kind
      : d.hairpin?.hairpins
        ? 'external-hairpin'
        : 'external-warning';
  return {
    url: d.url,
    kind,
    ...(d.relayUrl ? { relayUrl: d.relayUrl } : {}),
    verdict: d.internal.verdict,
    ...(d.warning ? { warning: d.warning } : {}),
    ...(d.advice ? { advice: d.advice } : {}),
    explanation: d.explanation,
  };
}

export interface Field {
  dir: string;
  internet: Internet;
  nodes: Record<BoxKey, NodeStatus>;
  /** What each resolver answers for an internal name, measured once the nodes reported. */
  resolvers: ResolverBehaviour[];
  daemons: Daemon[];
  /** Each box's own resolver (also in `daemons`): the outage rows restart one with the pairing advice's settings. */
  boxResolvers: Record<BoxKey, Daemon>;
  /** How long each step of bringing the field up took (ms). */
  timings: Record<string, number>;
}

const HAIRPIN = join(ROOT, 'bin/hairpin.js');

/** Enrol a node as the admin does: `hairpin admin enrol` from a machine on the internet. */
async function enrol(
  b: BoxPlan,
  adminToken: string,
): Promise<{ credential: string; names: { external: string; internal: string; relay?: string } }> {
  const out = await inNs(INET, process.execPath, [
    HAIRPIN,
    'admin',
    'enrol',
    b.node.licence,
    b.node.name,
    '--manager',
    MANAGER_URL,
    '--token',
    adminToken,
  ]);
  return JSON.parse(out) as { credential: string; names: { external: string; internal: string; relay?: string } };
}

/**
 * One shop's node, as its installer sets it up: `hairpin agent run` (reports, keeps the
 * certificate), the demo API on the agent's certificate, then `hairpin agent pairing-url`.
 */
async function startNodeSite(
  b: BoxPlan,
  field: { dir: string; internet: Internet; daemons: Daemon[] },
): Promise<NodeStatus> {
  const started = Date.now();
  const { credential, names: nodeNames } = await enrol(b, field.internet.adminToken);
  const certDir = join(field.dir, `agent-${b.key}`);
  const env = {
    HAIRPIN_AGENT_MANAGER: MANAGER_URL,
    HAIRPIN_AGENT_LICENCE: b.node.licence,
    HAIRPIN_AGENT_NODE: b.node.name,
    HAIRPIN_AGENT_CREDENTIAL: credential,
    HAIRPIN_AGENT_PORT: String(NODE_PORT),
    // One shop per box here, started by the lab itself: no herd to spread.
    HAIRPIN_AGENT_START_JITTER_SECONDS: '0',
    HAIRPIN_AGENT_CERT_DIR: certDir,
    HAIRPIN_AGENT_ACME_DIRECTORY: PEBBLE_DIRECTORY,
    HAIRPIN_AGENT_ACME_CA_FILE: field.internet.trustFile,
    HAIRPIN_AGENT_AUTHORITATIVE_DNS: `${SERVICES.manager}:53`,
    // Every node offers it; the outage rows have one shop's router use it (the pairing advice).
    HAIRPIN_AGENT_LAN_DNS_LISTEN: `${b.lan.node}:${NODE_LAN_DNS_PORT}`,
    NODE_EXTRA_CA_CERTS: field.internet.trustFile,
  };
  field.daemons.push(startNode(b.node.ns, HAIRPIN, ['agent', 'run'], join(field.dir, `agent-${b.key}.log`), env));
  field.daemons.push(
    startNode(
      b.node.ns,
      join(ROOT, 'lab/node-site.ts'),
      [
        certDir,
        b.node.licence,
        b.node.name,
        nodeNames.external,
        nodeNames.internal,
        names.apps(b.node.licence),
        String(NODE_PORT),
        ...(nodeNames.relay ? [nodeNames.relay] : []),
      ],
      join(field.dir, `node-${b.key}.log`),
    ),
  );
  await waitFor(
    `node ${b.key} serving (logs: agent-${b.key}.log, node-${b.key}.log)`,
    async () => (await readFile(join(field.dir, `node-${b.key}.log`), 'utf8')).includes('demo API on'),
    // Past the agent's first certificate retry (full jitter up to 60 s) when a DNS-01 check timed
    // out on a loaded machine (seen: Pebble's query to the manager's port 53 unanswered in time).
    130_000,
    200,
  );
  const certificateMs = Date.now() - started;
  const pair = async () => {
    const out = await inNs(
      b.node.ns,
      'env',
      [
        ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
        process.execPath,
        HAIRPIN,
        'agent',
        'pairing-url',
        '--json',
      ],
      // A bound, not a goal: five nodes' processes start at once, and on a loaded 2-core machine
      // the CLI alone took 20 s to load (measured) before its first request.
      { timeoutMs: 90_000 },
    );
    return pairingView(JSON.parse(out) as PairingDecision);
  };
  return { names: nodeNames, certificateMs, pairing: await pair(), pair };
}

export async function bringUp(log: (line: string) => void = () => {}): Promise<Field> {
  const leftovers = await labNamespaces();
  if (leftovers.length) {
    log(`lab: removing leftovers of an earlier run: ${leftovers.join(' ')}`);
    await removeTopology();
  }
  const dir = await mkdtemp(join(tmpdir(), 'hp-lab-'));
  const timings: Record<string, number> = {};
  const step = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const value = await f();
    timings[name] = Date.now() - started;
    log(`lab: ${name} (${timings[name]} ms)`);
    return value;
  };
  const daemons: Daemon[] = [];
  await step('namespaces and links', buildTopology);
  await step('box NAT and carrier policy', async () => {
    await applyBoxFirewalls();
    await setCarrierPolicy('reject');
  });
  await step('link shaping', shapeLinks);
  const internet = await step('manager, Pebble, app store', () => startInternet(dir));
  daemons.push(...internet.daemons);
  const resolverSet = await step('resolvers', () => startResolvers(dir));
  daemons.push(...resolverSet.daemons);
  daemons.push(...(await step('IPv6: router advertisements (SLAAC), NAT64', () => startIpv6Edge(dir))));
  await step('port forwards (delaying relays)', async () => {
    for (const b of BOXES) {
      daemons.push(
        startNode(
          b.ns,
          join(ROOT, 'lab/relay.ts'),
          [
            `${b.wan.box}:${NODE_PORT}`,
            `${b.lan.node}:${NODE_PORT}`,
            String(WAN_DELAY_MS),
            b.lan.prefix.replace(/0\/24$/, ''),
          ],
          join(dir, `relay-${b.key}.log`),
        ),
      );
    }
  });
  const nodes = await step('enrol, agent (report, certificate), demo API, pairing', async () => {
    const statuses = await Promise.all(
      BOXES.map(async (b) => [b.key, await startNodeSite(b, { dir, internet, daemons })] as const),
    );
    return Object.fromEntries(statuses) as Record<BoxKey, NodeStatus>;
  });
  const resolvers = await step('resolver behaviour', () => measureResolvers(names.internal));
  return { dir, internet, nodes, resolvers, daemons, boxResolvers: resolverSet.boxes, timings };
}
