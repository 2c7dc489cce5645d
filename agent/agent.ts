// The node agent: reports the node's addresses when they change (and every few minutes, which
// is how the manager sees a new public address), keeps the SAN certificate, decides the pairing
// URL and tells the manager whether the box hairpins. Each job is its own module; this class
// wires them to one configuration and one state file.

import { mkdir, readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { NodeView, ReachCheckView } from '../contract/api.ts';
import type { NodeNames } from '../contract/identity.ts';
import { resolverTransport } from '../probe/adapter/node/index.ts';
import {
  checkServeStale,
  type DnsTransport,
  dohTransport,
  type ProbeResult,
  postProbeReport,
  type StaleCheck,
  withConcurrency,
} from '../probe/index.ts';
import { abortableSleep } from '../probe/sleep.ts';
import { ADDRESS_WATCH_MS, AddressWatch } from './address-watch.ts';
import { addressesChanged, detectAddresses, formatAddresses, type NodeAddresses } from './addresses.ts';
import { managerDns01 } from './cert/dns01.ts';
import { CertificateKeeper } from './cert/keeper.ts';
import type { AgentConfig } from './config.ts';
import { type HairpinResult, hairpinSelfTest } from './hairpin.ts';
import { hostPortSetting } from './host-port.ts';
import type { ServiceIdentity } from './http/policy.ts';
import { type RunningLanDns, startLanDns } from './lan-dns.ts';
import { ManagerClient } from './manager-client.ts';
import {
  type AddressChange,
  decidePairingUrl,
  formatDecision,
  internalDecisionHolds,
  type PairingDecision,
  pairingResolver,
  TTL_GRACE_SECONDS,
} from './pairing.ts';
import { listenPairingEndpoint, SharedDecision } from './pairing-endpoint.ts';
import { PollLoop } from './poll-loop.ts';
import { RelayLink } from './relay.ts';
import { backoffDelay, RetryableError, type RetryPolicy } from './retry.ts';
import { type AgentState, keepNewerDecision, readState, writeState } from './state.ts';

/** How often an unchanged probe report is sent again. */
const PROBE_REPORT_EVERY_MS = 86_400_000;
/** How often the pairing decision is made again when nothing published changed. */
export const PAIRING_EVERY_MS = 3_600_000;
/** The ceiling on the extra wait between polls after failed reports (agent/poll-loop.ts). */
const POLL_BACKOFF_MAX_MS = 15 * 60_000;
/** The address records' TTL until a decision has read it from the manager (its default). */
const DEFAULT_ADDRESS_TTL = 60;

export interface AgentDeps {
  detect?: () => Promise<NodeAddresses>;
  log?: (line: string) => void;
  now?: () => number;
  /** For tests: the start jitter's random source and its wait (resolves early when `signal` aborts). */
  random?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** How often the addresses are looked at between polls (agent/address-watch.ts). */
  watchMs?: number;
  /** For tests: the manager client's retries of one call (agent/retry.ts). */
  retry?: RetryPolicy;
}

/**
 * ```ts
 * const agent = new NodeAgent(await loadAgentConfig('/etc/hairpin/agent.json', process.env));
 * await agent.start();
 * https.createServer(tls, withHairpinListener(app, agent.serviceIdentity())).listen(agent.config.port);
 * ```
 */
export class NodeAgent {
  readonly config: AgentConfig;
  readonly client: ManagerClient;
  readonly #deps: Required<Omit<AgentDeps, 'retry'>>;
  #view: NodeView | undefined;
  #keeper: CertificateKeeper | undefined;
  #polls: PollLoop | undefined;
  #watch: AddressWatch | undefined;
  #recheck: ReturnType<typeof setTimeout> | undefined;
  #pairingServer: Server | undefined;
  #lanDns: RunningLanDns | undefined;
  #relay: RelayLink | undefined;
  #loaded = false;
  #stopping = new AbortController();
  /** The last serve-stale check that finished (probe/serve-stale.ts), for the next probe report. */
  #serveStale: StaleCheck | undefined;
  #serveStaleRunning = false;
  state: AgentState = {};

  constructor(config: AgentConfig, deps: AgentDeps = {}) {
    this.config = config;
    this.client = new ManagerClient({
      url: config.manager,
      licence: config.licence,
      node: config.node,
      credential: config.credential,
      ...(deps.retry ? { retry: deps.retry } : {}),
    });
    this.#deps = {
      // The configuration carries the address overrides under their own names.
      detect: deps.detect ?? (() => detectAddresses(config)),
      log: deps.log ?? ((line) => console.log(line)),
      now: deps.now ?? Date.now,
      random: deps.random ?? Math.random,
      sleep: deps.sleep ?? abortableSleep,
      watchMs: deps.watchMs ?? ADDRESS_WATCH_MS,
    };
  }

  /**
   * The node as the manager names it (which also proves the credential works): its names, zone
   * and app-store name come from the manager's templates, never derived again here.
   */
  async view(): Promise<NodeView> {
    this.#view ??= await this.client.nodeState();
    return this.#view;
  }

  async names(): Promise<NodeNames> {
    return (await this.view()).names;
  }

  /** What the node's HTTPS helpers (agent/http) need. */
  async serviceIdentity(): Promise<ServiceIdentity> {
    const { names, appsName } = await this.view();
    return { licence: this.config.licence, node: this.config.node, names, appsName, port: this.config.port };
  }

  /** The state file is shared with other agent processes (the CLI): read it before any write. */
  async #load(): Promise<void> {
    if (this.#loaded) return;
    this.state = { ...(await readState(this.config.certDir)), ...this.state };
    this.#loaded = true;
  }

  async #save(): Promise<void> {
    await mkdir(this.config.certDir, { recursive: true, mode: 0o700 });
    this.state = keepNewerDecision(this.state, await readState(this.config.certDir));
    await writeState(this.config.certDir, this.state);
  }

  /**
   * Detect the addresses; report them when they changed or the last report is old. `changed`:
   * the report changed what the manager publishes (a new private or public address).
   */
  async checkAddresses(): Promise<{ reported: boolean; changed: boolean; addresses: NodeAddresses }> {
    await this.#load();
    const addresses = await this.#deps.detect();
    const now = this.#deps.now();
    const lastGood = this.state.lastGoodReport ? Date.parse(this.state.lastGoodReport.at) : 0;
    const due = now - lastGood >= this.config.reportEverySeconds * 1000;
    const changed = addressesChanged(this.state.addresses, addresses) || !this.state.lastGoodReport?.ok;
    if (!changed && !due) return { reported: false, changed: false, addresses };
    if (changed && this.state.addresses) {
      this.#deps.log(
        `addresses: ${this.state.addresses.privateIpv4} -> ${addresses.privateIpv4} (${addresses.interface})`,
      );
      if (this.state.addresses.publicIpv6 !== addresses.publicIpv6)
        this.#deps.log(
          `public IPv6: ${this.state.addresses.publicIpv6 ?? 'none'} -> ${addresses.publicIpv6 ?? 'none'} (${addresses.publicIpv6Reason})`,
        );
      const from = this.state.addresses.privateIpv4;
      if (from !== addresses.privateIpv4)
        this.state.addressChange = { from, to: addresses.privateIpv4, at: new Date(now).toISOString() };
    }
    this.state.addresses = addresses;
    this.#watch?.settle(addresses);
    const at = new Date(now).toISOString();
    try {
      const answer = await this.client.reportAddresses({
        privateIpv4: addresses.privateIpv4,
        ...(addresses.privateIpv6 ? { privateIpv6: addresses.privateIpv6 } : {}),
        ...(this.config.publicIpv4 ? { publicIpv4: this.config.publicIpv4 } : {}),
        // Always said, none included: left out, the manager would take the report's source,
        // which over IPv6 is a temporary privacy address (RFC 8981 prefers them for outgoing).
        publicIpv6: addresses.publicIpv6 ?? null,
        port: this.config.port,
      });
      this.#view = answer;
      // The public address is the report's source as the manager saw it, invisible from here:
      // its answer is where a new WAN address shows.
      const publicIpv4 = answer.addresses?.publicIpv4 ?? null;
      if (this.state.publicIpv4 !== undefined && publicIpv4 !== this.state.publicIpv4)
        this.#deps.log(
          `public address: ${this.state.publicIpv4 ?? 'none'} -> ${publicIpv4 ?? 'none'} (as the manager sees it)`,
        );
      this.state.publicIpv4 = publicIpv4;
      this.state.lastReport = this.state.lastGoodReport = {
        at,
        ok: true,
        serial: answer.serial,
        changed: answer.changed,
      };
      return { reported: true, changed: answer.changed, addresses };
    } catch (e) {
      this.state.lastReport = { at, ok: false, error: (e as Error).message };
      throw e;
    } finally {
      await this.#save();
    }
  }

  /** The certificate keeper, when an ACME directory is configured. */
  async keeper(): Promise<CertificateKeeper | undefined> {
    if (!this.config.acmeDirectory) return undefined;
    if (this.#keeper) return this.#keeper;
    const names = await this.names();
    const authority = this.config.authoritativeDns
      ? resolverTransport(this.config.authoritativeDns)
      : dohTransport(new URL('/dns-query', this.config.manager).href);
    this.#keeper = new CertificateKeeper({
      dir: this.config.certDir,
      names,
      order: {
        directoryUrl: this.config.acmeDirectory,
        ...(this.config.acmeCaFile ? { directoryCa: await readFile(this.config.acmeCaFile, 'utf8') } : {}),
        ...(this.config.acmeEmail ? { email: this.config.acmeEmail } : {}),
        ...managerDns01(this.client, authority, names),
        log: this.#deps.log,
      },
      ...(this.config.reloadCommand ? { reloadCommand: this.config.reloadCommand } : {}),
      log: this.#deps.log,
    });
    return this.#keeper;
  }

  /**
   * The manager's last check of the node's IPv6 from outside; a new one when that is about another
   * address (or none was made). Errors leave it unknown (it never rejects).
   */
  async #ipv6Reach(): Promise<ReachCheckView | null> {
    const last = (await this.client.nodeState().catch(() => undefined))?.reachability?.ipv6 ?? null;
    if (last?.current) return last;
    return (await this.client.checkReachability().catch(() => undefined))?.reachability.ipv6 ?? last;
  }

  /** Decide the pairing URL now, and send the probe with the hairpin result to the manager. */
  async decidePairing(options: { resolver?: string } = {}): Promise<PairingDecision> {
    await this.#load();
    const { names, zone } = await this.view();
    // Read once (the system's is /etc/resolv.conf): the serve-stale check and the probe ask the same one.
    const resolver = await pairingResolver(options.resolver ?? this.config.resolver);
    this.#checkServeStale(resolver, zone);
    const connectAddress = this.config.hairpinAddress ?? this.state.publicIpv4 ?? undefined;
    // Beside the probe whatever its outcome: the decision needs it only when the internal name
    // fails, but support's view of which boxes hairpin should cover every shop.
    const hairpin = hairpinSelfTest({
      origin: `https://${names.external}:${this.config.port}`,
      licence: this.config.licence,
      node: this.config.node,
      ...(connectAddress ? { connectAddress } : {}),
    });
    // Handled here at once: the probe may still be running when it settles.
    hairpin.catch(() => undefined);
    // The poll keeps this current; pairing may come before the first poll (`agent pairing-url`).
    const addresses = this.state.addresses ?? (await this.#deps.detect().catch(() => undefined));
    const freshChange = this.#freshChange();
    // Asked beside the probe, awaited only by a decision that gives firewall advice.
    const reach = addresses?.publicIpv6 ? this.#ipv6Reach() : undefined;
    const ipv6 = addresses?.publicIpv6 && reach ? { address: addresses.publicIpv6, reach: () => reach } : undefined;
    const decision = await decidePairingUrl({
      names,
      zone,
      port: this.config.port,
      ...(addresses ? { privateIpv4: addresses.privateIpv4 } : {}),
      // Two connections to the manager, not one per question (probe/transport.ts, withConcurrency).
      truth: withConcurrency(dohTransport(new URL('/dns-query', this.config.manager).href), 2),
      resolver,
      hairpin: () => hairpin,
      ...(this.state.pairing ? { previous: { kind: this.state.pairing.kind } } : {}),
      ...(freshChange ? { freshChange } : {}),
      ...(ipv6 ? { ipv6 } : {}),
      ...(this.config.lanDnsListen ? { lanDns: hostPortSetting('lanDnsListen', this.config.lanDnsListen) } : {}),
      now: this.#deps.now,
    });
    const { probe, ...shown } = decision;
    this.state.pairing = shown;
    const ttl = probe.checks
      .find((c) => c.role === 'internal' && c.type === 'A')
      ?.truth.answers.find((r) => r.type === 'A')?.ttl;
    if (ttl !== undefined) this.state.addressTtl = ttl;
    await this.#save();
    if (decision.recheckAfterSeconds !== undefined) this.#decideAfter(decision.recheckAfterSeconds * 1000);
    const report = (result: HairpinResult) => this.#reportProbe(probe, result.hairpins);
    // An internal decision does not wait for the self-test (up to its 3 s bound); its report does.
    if (decision.hairpin) await report(decision.hairpin);
    else void hairpin.then(report, (e: Error) => this.#deps.log(`hairpin self-test failed: ${e.message}`));
    return decision;
  }

  /** The node's own address change, while the old record may still be cached (TTL and a grace). */
  #freshChange(): AddressChange | undefined {
    const change = this.state.addressChange;
    if (!change) return undefined;
    const ttl = this.state.addressTtl ?? DEFAULT_ADDRESS_TTL;
    const secondsAgo = (this.#deps.now() - Date.parse(change.at)) / 1000;
    return secondsAgo < ttl + TTL_GRACE_SECONDS ? { from: change.from, secondsAgo, ttl } : undefined;
  }

  /** Decide again in `ms` (one timer: a later call moves it). Only while the agent runs. */
  #decideAfter(ms: number): void {
    if (!this.#polls) return;
    clearTimeout(this.#recheck);
    this.#recheck = setTimeout(() => {
      this.#recheck = undefined;
      this.decidePairing().then(
        (d) => this.#deps.log(`pairing: ${formatDecision(d)}`),
        (e: Error) => this.#deps.log(`pairing check failed: ${(e as Error).message}`),
      );
    }, ms);
    this.#recheck.unref?.();
  }

  /**
   * Whether the shop's resolver would keep answering with the line down (RFC 8767), for support:
   * beside the decision and never in its way (it takes up to about 15 s); the next report carries
   * the last check that finished. One at a time; stop() ends it.
   */
  #checkServeStale(resolver: DnsTransport, zone: string): void {
    if (this.#serveStaleRunning) return;
    this.#serveStaleRunning = true;
    checkServeStale(resolver, zone, { signal: this.#stopping.signal })
      .then(
        (check) => {
          // Only a finding: an interrupted or impossible check (a manager without port 53: Workers)
          // says nothing about the resolver, and would make every report look changed.
          if (check.outcome !== 'unknown') this.#serveStale = check;
        },
        () => undefined,
      )
      .finally(() => {
        this.#serveStaleRunning = false;
      });
  }

  /**
   * Send the probe to the manager when what it says changed (verdict, resolver, hairpin) or a day
   * went by: decisions come hourly, and each report carries a few KB of evidence per node.
   */
  async #reportProbe(probe: ProbeResult, hairpins: boolean): Promise<void> {
    const now = this.#deps.now();
    const last = this.state.lastProbeReport;
    const serveStale = this.#serveStale;
    const same =
      last &&
      last.verdict === probe.verdict &&
      last.resolver === probe.resolver &&
      last.hairpins === hairpins &&
      last.serveStale === serveStale?.outcome;
    if (same && now - Date.parse(last.at) < PROBE_REPORT_EVERY_MS) return;
    const network = this.config.networkLabel ? { network: { label: this.config.networkLabel } } : {};
    try {
      await postProbeReport(this.config.manager, this.config.licence, this.config.node, this.config.credential, {
        result: serveStale ? { ...probe, serveStale } : probe,
        hairpins,
        ...network,
      });
      this.state.lastProbeReport = {
        at: new Date(now).toISOString(),
        verdict: probe.verdict,
        resolver: probe.resolver,
        hairpins,
        ...(serveStale ? { serveStale: serveStale.outcome } : {}),
      };
      await this.#save();
    } catch (e) {
      this.#deps.log(`probe report not sent: ${(e as Error).message}`);
    }
  }

  /**
   * Run: after the start jitter, first report, certificate upkeep, pairing decision, then poll
   * addresses. After a manager outage the polls' own backoff (full jitter) spreads the fleet.
   */
  async start(): Promise<void> {
    this.#stopping = new AbortController();
    await this.#load();
    const jitterMs = Math.floor(this.#deps.random() * this.config.startJitterSeconds * 1000);
    if (jitterMs > 0) {
      this.#deps.log(
        `first contact with the manager in ${(jitterMs / 1000).toFixed(1)} s (start jitter, up to ${this.config.startJitterSeconds} s)`,
      );
      await this.#deps.sleep(jitterMs, this.#stopping.signal);
    }
    const first = await this.#reportOnceReachable();
    // stop() may come while the first report is in flight: then nothing more starts.
    if (!first || this.#stopping.signal.aborted) return;
    const { names } = first;
    // Whether the first report changed what is published: the first poll acts on it as on its own.
    let firstChanged = first.changed;
    this.#deps.log(`agent for ${names.external} / ${names.internal}, manager ${this.config.manager}`);
    const decide = () =>
      this.decidePairing().then(
        (d) => this.#deps.log(`pairing: ${formatDecision(d)}`),
        (e: Error) => this.#deps.log(`pairing check failed: ${e.message}`),
      );
    const poll = async (): Promise<boolean> => {
      let ok = true;
      let changed = false;
      try {
        changed = (await this.#report()).changed;
      } catch (e) {
        ok = false;
        this.#deps.log(`report failed: ${(e as Error).message}`);
      }
      changed ||= firstChanged;
      firstChanged = false;
      // Decide again when what the manager publishes changed, and hourly: the shop may change
      // its router or resolver, and support's view of which boxes hairpin should stay current.
      // After the node's own address change, only once the old record's TTL has passed: before
      // that, the shop's resolver may rightly still hand out the old address. A change that
      // leaves an internal decision as it was (a new public address) waits for the hourly one:
      // after a regional power cut every node would otherwise probe at once, through a router
      // just restarted and a manager busy with the region's reports, where a probe that fails
      // downgrades a working LAN path for an hour.
      const { pairing, addresses } = this.state;
      const decidedAt = pairing ? Date.parse(pairing.decidedAt) : 0;
      const holds =
        pairing !== undefined &&
        addresses !== undefined &&
        internalDecisionHolds(pairing, { names, port: this.config.port, privateIpv4: addresses.privateIpv4 });
      const fresh = changed ? this.#freshChange() : undefined;
      if (fresh) this.#decideAfter(Math.ceil(fresh.ttl + TTL_GRACE_SECONDS - fresh.secondsAgo) * 1000);
      else if ((changed && !holds) || this.#deps.now() - decidedAt >= PAIRING_EVERY_MS) void decide();
      return ok;
    };
    this.#polls = new PollLoop(poll, { intervalMs: this.config.pollSeconds * 1000, maxBackoffMs: POLL_BACKOFF_MAX_MS });
    // The first poll finds the address just reported (nothing to send) and makes the first decision
    // (after the TTL when that report was the node's own fresh change).
    await this.#polls.start();
    // A change of address is reported within seconds, not at the next poll.
    this.#watch = new AddressWatch(this.#deps.detect, () => this.#polls?.wake(), this.#deps.watchMs);
    this.#watch.start(this.state.addresses);
    (await this.keeper())?.schedule((e) => this.#deps.log(`certificate: ${(e as Error).message}`));
    this.#startRelay(names);
    if (this.config.pairingListen) {
      this.#pairingServer = await listenPairingEndpoint(
        hostPortSetting('pairingListen', this.config.pairingListen),
        new SharedDecision(() => this.decidePairing(), this.#deps.now),
        names,
      );
      this.#deps.log(`pairing endpoint: http://${this.config.pairingListen}/pairing-url`);
    }
    if (this.config.lanDnsListen) {
      this.#lanDns = await startLanDns({
        listen: hostPortSetting('lanDnsListen', this.config.lanDnsListen),
        name: names.internal,
        addresses: () =>
          this.state.addresses && { ipv4: this.state.addresses.privateIpv4, ipv6: this.state.addresses.privateIpv6 },
      });
      this.#deps.log(`answering ${names.internal} on udp ${this.config.lanDnsListen}`);
    }
  }

  /** checkAddresses(), saying so when it sent a report. */
  async #report(): Promise<{ changed: boolean }> {
    const result = await this.checkAddresses();
    if (result.reported)
      this.#deps.log(`reported ${formatAddresses(result.addresses)} (serial ${this.state.lastReport?.serial})`);
    return result;
  }

  /**
   * The first contact: the node's address reported, then its names (the report's answer carries
   * them: no second call), asked until the manager answers or the agent is stopped. The address
   * comes first because it is what the zone serves: after a regional outage it is what the
   * shop's apps wait for, and every other call of the start can wait behind it. A fleet coming
   * back meets a busy manager (503 with Retry-After, timeouts): an agent that gave up after one
   * round of retries would stay down for good. A report that fails for another reason (no
   * address detected yet, a refused credential) is left to the polls, and the names are asked
   * on their own: answers that say the request itself is wrong (a revoked credential, an unknown
   * node) end the start there.
   */
  async #reportOnceReachable(): Promise<{ names: NodeNames; changed: boolean } | undefined> {
    for (let round = 0; !this.#stopping.signal.aborted; round++) {
      try {
        const { changed } = await this.#report().catch((e: Error) => {
          if (e instanceof RetryableError) throw e;
          this.#deps.log(`report failed: ${e.message}`);
          return { changed: false };
        });
        return { names: await this.names(), changed };
      } catch (e) {
        if (!(e instanceof RetryableError)) throw e;
        const waitMs = backoffDelay(round, { baseMs: 1_000, maxMs: POLL_BACKOFF_MAX_MS }, this.#deps.random);
        this.#deps.log(`manager not reachable yet (${e.message}); asking again in ${(waitMs / 1000).toFixed(1)} s`);
        await this.#deps.sleep(waitMs, this.#stopping.signal);
      }
    }
    return undefined;
  }

  /** The node's relay socket (docs/relay.md), unless the manager has no relay or this node turned it off. */
  #startRelay(names: NodeNames): void {
    if (!names.relay) return;
    if (this.config.relay === 'off')
      return void this.#deps.log(`relay: off by configuration (${names.relay} will answer 503)`);
    const target = this.config.relayTarget
      ? hostPortSetting('relayTarget', this.config.relayTarget)
      : { host: '127.0.0.1', port: this.config.port };
    this.#relay = new RelayLink({
      manager: this.config.manager,
      licence: this.config.licence,
      node: this.config.node,
      credential: this.config.credential,
      target,
      log: this.#deps.log,
    });
    this.#relay.start();
  }

  /** The relay socket, when this agent keeps one. */
  get relay(): RelayLink | undefined {
    return this.#relay;
  }

  /** The pairing endpoint's port once listening (tests use port 0). */
  get pairingPort(): number | undefined {
    const address = this.#pairingServer?.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  /** The LAN responder's UDP port once listening (tests use port 0). */
  get lanDnsPort(): number | undefined {
    return this.#lanDns?.port;
  }

  /** Stops polling (waiting for a poll in flight), certificate upkeep, the pairing endpoint and the LAN responder. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#watch?.stop();
    clearTimeout(this.#recheck);
    await this.#polls?.stop();
    await this.#relay?.stop();
    this.#keeper?.stop();
    await this.#lanDns?.close();
    await new Promise<void>((resolve) =>
      this.#pairingServer ? this.#pairingServer.close(() => resolve()) : resolve(),
    );
  }
}
