// JSON shapes of nodes and records (contract/api.ts), shared by the admin and node routes.
import { httpsOrigin, type NodeView, type RecordView } from '../../contract/api.ts';
import type { DnsRecord } from '../../dns/message.ts';
import type { ManagerConfig } from '../config.ts';
import type { NodeState } from '../store/store.ts';
import { nodeRecords } from '../zone/records.ts';

export function recordView(r: DnsRecord): RecordView {
  const data = Array.isArray(r.data) ? r.data.map(String).join('') : String(r.data);
  return { name: r.name, type: r.type, ttl: r.ttl ?? 0, data };
}

/** The records the zone serves for a node's two names right now. */
export function servedRecords(config: ManagerConfig, state: NodeState): RecordView[] {
  const names = config.names.nodeNames(state.licence, state.node);
  return [
    ...nodeRecords(config, 'external', state, names.external),
    ...nodeRecords(config, 'internal', state, names.internal),
    ...(names.relay ? nodeRecords(config, 'relay', state, names.relay) : []),
  ].map(recordView);
}

export function nodeView(config: ManagerConfig, state: NodeState): NodeView {
  const names = config.names.nodeNames(state.licence, state.node);
  const appsName = config.names.appsName(state.licence);
  const port = state.addresses?.port;
  return {
    licence: state.licence,
    node: state.node,
    names,
    zone: config.names.zone,
    appsName,
    origins: {
      external: httpsOrigin(names.external, port),
      internal: httpsOrigin(names.internal, port),
      apps: httpsOrigin(appsName, null),
    },
    createdAt: new Date(state.createdAt).toISOString(),
    addresses: state.addresses
      ? {
          privateIpv4: state.addresses.privateIpv4,
          privateIpv6: state.addresses.privateIpv6,
          publicIpv4: state.addresses.publicIpv4,
          publicIpv6: state.addresses.publicIpv6,
          port: state.addresses.port,
          sourceAddress: state.addresses.sourceAddress,
          reportedAt: new Date(state.addresses.reportedAt).toISOString(),
        }
      : null,
  };
}
