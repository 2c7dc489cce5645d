// Kysely's view of the tables in ./migrations. Keep the two in step: a column added there is
// added here in the same commit.
import type { Generated } from 'kysely';

export interface LicenceTable {
  licence: string;
  created_at: number;
}

export interface NodeTable {
  licence: string;
  node: string;
  credential_hash: string;
  created_at: number;
  credential_rotated_at: number;
}

export interface AddressTable {
  licence: string;
  node: string;
  private_ipv4: string;
  private_ipv6: string | null;
  public_ipv4: string | null;
  public_ipv6: string | null;
  port: number | null;
  source_address: string | null;
  reported_at: number;
}

export interface AddressHistoryTable {
  id: string;
  licence: string;
  node: string;
  at: number;
  serial: number | null;
  source_address: string | null;
  old_private_ipv4: string | null;
  old_private_ipv6: string | null;
  old_public_ipv4: string | null;
  old_public_ipv6: string | null;
  new_private_ipv4: string | null;
  new_private_ipv6: string | null;
  new_public_ipv4: string | null;
  new_public_ipv6: string | null;
}

export interface ZoneTable {
  id: Generated<number>;
  serial: number;
}

export interface AcmeChallengeTable {
  licence: string;
  node: string;
  kind: string;
  value: string;
  created_at: number;
}

export interface AcmeDnsAccountTable {
  username: string;
  password_hash: string;
  subdomain: string;
  licence: string;
  node: string;
  kind: string;
  allow_from: string;
  created_at: number;
}

export interface ProbeReportTable {
  id: string;
  licence: string;
  node: string;
  at: number;
  verdict: string;
  reason: string;
  name: string;
  resolver: string;
  hairpins: number | null;
  public_address: string | null;
  asn: number | null;
  organisation: string | null;
  network_label: string | null;
  network_source: string | null;
  elapsed_ms: number;
  evidence: string;
}

export interface ReachabilityTable {
  licence: string;
  node: string;
  started_at: number;
  results: string | null;
}

export interface Database {
  licences: LicenceTable;
  nodes: NodeTable;
  addresses: AddressTable;
  address_history: AddressHistoryTable;
  zone: ZoneTable;
  probe_reports: ProbeReportTable;
  acme_challenges: AcmeChallengeTable;
  acme_dns_accounts: AcmeDnsAccountTable;
  reachability: ReachabilityTable;
}
