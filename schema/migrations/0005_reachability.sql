-- The reachability check: the manager's own TCP connect to a node's public addresses and port,
-- the answer to "why does it fail from cellular" (box firewall, port forward). One row per node:
-- claimed (started_at) in one conditional upsert, which is the rate limit, then the results.
-- Portable (D1, SQLite, Postgres): TEXT and BIGINT only, times as Unix milliseconds.

CREATE TABLE reachability (
  licence TEXT NOT NULL,
  node TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  -- JSON: [{family, address, port, outcome, detail, elapsedMs, checkedAt}], NULL while running.
  results TEXT,
  PRIMARY KEY (licence, node)
);
