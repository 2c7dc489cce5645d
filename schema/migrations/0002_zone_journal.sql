-- IXFR (RFC 1995) reads address_history as the zone's change journal, by serial range
-- (worker/transfer/journal.ts). Without this index each incremental transfer scans the whole
-- history, which only grows.
CREATE INDEX address_history_serial ON address_history (serial);
