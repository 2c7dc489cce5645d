// The zone's reads on SQLite without the query builder's round trip: the Store's own compiled SQL
// (store.ts zoneReads) prepared once on a read-only connection of their own and run
// synchronously. Through Kysely a DNS cache miss cost 300-450 µs (a promise chain per query, the
// driver's connection queue, the builder's result plumbing); here each read is one prepared
// statement, a few µs, and no promise at all, so a flood of distinct names stays cheap.
// A read-only connection in WAL mode reads the last commit of any connection or process. The
// zone's index of nodes (worker/zone/node-index.ts) is built from `nodePage` on the same connection.
import type { CompiledQuery, Kysely } from 'kysely';
import type { Database } from '../../../schema/database.ts';
import { type JournalRow, journalRowOf, type NodeState, nodeStateOf, zoneReads } from '../../store/store.ts';
import type { ZoneNodeRow, ZoneSource } from '../../zone/answer.ts';
import type { ZoneJournal } from '../../zone/zone-watch.ts';
import { openSqliteReader, runStatement } from './sqlite-driver.ts';

export interface SqliteZoneReads extends ZoneSource, ZoneJournal {
  serial(): number;
  getNode(licence: string, node: string): NodeState | undefined;
  nodePage(after: { licence: string; node: string } | undefined, limit: number): ZoneNodeRow[];
  close(): void;
}

/**
 * `db` compiles (any Kysely on the same schema), `path` is the file to read.
 *
 * ```ts
 * const reads = sqliteZoneReads(store.db, 'data/hairpin.sqlite');
 * reads.getNode('1234', 'nur1'); // { licence: '1234', node: 'nur1', addresses: {...}, ... }
 * ```
 */
export function sqliteZoneReads(db: Kysely<Database>, path: string): SqliteZoneReads {
  const connection = openSqliteReader(path);
  const queries = zoneReads(db);
  const rows = <R>(query: CompiledQuery<R>) => runStatement(connection, query.sql, query.parameters).rows as R[];
  return {
    serial() {
      const row = rows(queries.serial({}))[0];
      if (!row) throw new Error('the zone table has no row: migrations not applied?');
      return Number(row.serial);
    },
    getNode(licence, node) {
      const row = rows(queries.getNode({ licence, node }))[0];
      return row && nodeStateOf(row);
    },
    licenceHasNodes: (licence) => rows(queries.licenceHasNodes({ licence })).length > 0,
    acmeChallenges: (licence, node, kind) => rows(queries.acmeChallenges({ licence, node, kind })).map((r) => r.value),
    journal: (from, to): JournalRow[] => rows(queries.journal({ from, to })).map(journalRowOf),
    nodePage: (after, limit) =>
      nodeRowsOf(rows(queries.nodeLines({ licence: after?.licence ?? '', node: after?.node ?? '', limit }))[0]?.lines),
    close: () => connection.close(),
  };
}

/**
 * The rows of `zoneReads().nodeLines` (a line per node, fields separated by spaces, an empty field
 * for null), in the order read. Empty licences sort first, so ('', '') asks for the first page.
 */
export function nodeRowsOf(lines: string | null | undefined): ZoneNodeRow[] {
  if (!lines) return [];
  return lines.split('\n').map((line) => {
    const [licence, node, privateIpv4, privateIpv6, publicIpv4, publicIpv6, extra] = line.split(' ');
    if (publicIpv6 === undefined || extra !== undefined) throw new Error(`unexpected node line: ${line}`);
    const addresses = privateIpv4
      ? {
          privateIpv4,
          privateIpv6: privateIpv6 || null,
          publicIpv4: publicIpv4 || null,
          publicIpv6: publicIpv6 || null,
        }
      : undefined;
    return { licence: licence!, node: node!, addresses };
  });
}
