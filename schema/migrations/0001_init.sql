-- One dialect for D1, SQLite and Postgres: TEXT and BIGINT only, no AUTOINCREMENT/SERIAL,
-- times as Unix milliseconds, upserts through ON CONFLICT, null-safe comparisons through
-- IS DISTINCT FROM (SQLite >= 3.39, D1, Postgres).

CREATE TABLE licences (
  licence TEXT PRIMARY KEY,
  created_at BIGINT NOT NULL
);

CREATE TABLE nodes (
  licence TEXT NOT NULL REFERENCES licences (licence) ON DELETE CASCADE,
  node TEXT NOT NULL,
  -- SHA-256 of the bearer credential (hex). The credential is 256 random bits, so a plain hash
  -- cannot be reversed, and a leaked row cannot be replayed as a credential.
  credential_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  credential_rotated_at BIGINT NOT NULL,
  PRIMARY KEY (licence, node)
);
CREATE INDEX nodes_credential ON nodes (credential_hash);

-- The current addresses of a node: what the zone serves.
CREATE TABLE addresses (
  licence TEXT NOT NULL,
  node TEXT NOT NULL,
  private_ipv4 TEXT NOT NULL,
  private_ipv6 TEXT,
  public_ipv4 TEXT,
  public_ipv6 TEXT,
  port BIGINT,
  source_address TEXT,
  reported_at BIGINT NOT NULL,
  PRIMARY KEY (licence, node),
  FOREIGN KEY (licence, node) REFERENCES nodes (licence, node) ON DELETE CASCADE
);

-- Every change of a node's addresses, old -> new, with the zone serial it produced.
CREATE TABLE address_history (
  id TEXT PRIMARY KEY,
  licence TEXT NOT NULL,
  node TEXT NOT NULL,
  at BIGINT NOT NULL,
  serial BIGINT,
  source_address TEXT,
  old_private_ipv4 TEXT,
  old_private_ipv6 TEXT,
  old_public_ipv4 TEXT,
  old_public_ipv6 TEXT,
  new_private_ipv4 TEXT,
  new_private_ipv6 TEXT,
  new_public_ipv4 TEXT,
  new_public_ipv6 TEXT
);
CREATE INDEX address_history_node ON address_history (licence, node, at);

-- The zone's SOA serial (RFC 1982 arithmetic: it wraps at 2^32), one row.
CREATE TABLE zone (
  id BIGINT PRIMARY KEY CHECK (id = 1),
  serial BIGINT NOT NULL
);
INSERT INTO zone (id, serial) VALUES (1, 1);
