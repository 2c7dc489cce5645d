-- ACME DNS-01 (RFC 8555 §8.4): the TXT values served at _acme-challenge.<node name>, and the
-- acme-dns-compatible accounts that let standard ACME clients (lego, certbot-dns-acmedns) set
-- them. Portable: TEXT and BIGINT only, times in Unix milliseconds.

-- TXT values per node name. Like acme-dns, the two most recent values per name are kept (an
-- order for a name and its wildcard, or a retried order, needs two at once); older ones are
-- trimmed by the write that adds a third.
CREATE TABLE acme_challenges (
  licence TEXT NOT NULL,
  node TEXT NOT NULL,
  -- 'external' or 'internal': which of the node's two names
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (licence, node, kind, value),
  FOREIGN KEY (licence, node) REFERENCES nodes (licence, node) ON DELETE CASCADE
);

-- acme-dns accounts: each bound to exactly one node name. The password is stored as its
-- SHA-256 (it is 256 random bits, so a leaked row cannot be replayed).
CREATE TABLE acme_dns_accounts (
  username TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  subdomain TEXT NOT NULL UNIQUE,
  licence TEXT NOT NULL,
  node TEXT NOT NULL,
  kind TEXT NOT NULL,
  -- JSON array of CIDR ranges allowed to call /update; empty means any source
  allow_from TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  FOREIGN KEY (licence, node) REFERENCES nodes (licence, node) ON DELETE CASCADE
);
CREATE INDEX acme_dns_accounts_node ON acme_dns_accounts (licence, node);
