-- Probe reports: what a node's probe saw through its shop's resolver, with what the manager knew
-- of the network it came from. Kept after a node is deleted: the ISP statistics outlive nodes.
-- Portable (D1, SQLite, Postgres): TEXT and BIGINT only, times as Unix milliseconds.

CREATE TABLE probe_reports (
  id TEXT PRIMARY KEY,
  licence TEXT NOT NULL,
  node TEXT NOT NULL,
  at BIGINT NOT NULL,
  -- One of probe/verdicts.ts VERDICT_CODES, for the internal name's A through `resolver`.
  verdict TEXT NOT NULL,
  reason TEXT NOT NULL,
  name TEXT NOT NULL,
  resolver TEXT NOT NULL,
  -- The box's hairpin self-test: 1, 0, or NULL when not run.
  hairpins BIGINT,
  public_address TEXT,
  asn BIGINT,
  organisation TEXT,
  network_label TEXT,
  -- Where asn/organisation came from: 'edge' (request.cf on Workers), 'lookup' (the configured
  -- IP-to-ASN lookup) or 'node' (sent by the node).
  network_source TEXT,
  elapsed_ms BIGINT NOT NULL,
  -- The probe's full result (checks with raw evidence) as JSON.
  evidence TEXT NOT NULL
);
CREATE INDEX probe_reports_node ON probe_reports (licence, node, at);
CREATE INDEX probe_reports_at ON probe_reports (at);
