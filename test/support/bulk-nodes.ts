// Many enrolled, reported nodes written straight into the store in one transaction: 100,000 HTTP
// reports would take minutes and measure the API, not what a test or benchmark is about (DNS,
// transfers). Node i is `nur<i % 50>` of licence `<1000 + i / 50>`, with addresses unique to it.
import type { Store } from '../../worker/store/store.ts';

export const NODES_PER_LICENCE = 50;

export const licenceOf = (i: number) => `${1000 + Math.floor(i / NODES_PER_LICENCE)}`;
export const nodeOf = (i: number) => `nur${i % NODES_PER_LICENCE}`;
const octets = (i: number) => `${(i >> 8) & 0xff}.${i & 0xff}`;
/** A ULA address unique to node i: two 16-bit groups, so no group outgrows four hex digits. */
const ula = (i: number) => `fd00::${((i >>> 16) & 0xffff).toString(16)}:${(i & 0xffff).toString(16)}`;

/**
 * Nodes 0 … count - 1, every one reported (private and public IPv4, a ULA on every fourth), and
 * the serial moved once.
 *
 * ```ts
 * await addReportedNodes(manager.store, 100_000);
 * ```
 */
export async function addReportedNodes(store: Store, count: number): Promise<void> {
  const at = Date.now();
  const chunk = 500;
  await store.db.transaction().execute(async (trx) => {
    for (let start = 0; start < count; start += chunk) {
      const ids = Array.from({ length: Math.min(chunk, count - start) }, (_, k) => start + k);
      const licences = [...new Set(ids.map(licenceOf))];
      await trx
        .insertInto('licences')
        .values(licences.map((licence) => ({ licence, created_at: at })))
        .onConflict((oc) => oc.doNothing())
        .execute();
      await trx
        .insertInto('nodes')
        .values(
          ids.map((i) => ({
            licence: licenceOf(i),
            node: nodeOf(i),
            credential_hash: `bulk-${i}`,
            created_at: at,
            credential_rotated_at: at,
          })),
        )
        .execute();
      await trx
        .insertInto('addresses')
        .values(
          ids.map((i) => ({
            licence: licenceOf(i),
            node: nodeOf(i),
            private_ipv4: `10.${(i >> 16) & 0xff}.${octets(i)}`,
            private_ipv6: i % 4 === 0 ? ula(i) : null,
            public_ipv4: `198.18.${octets(i)}`,
            public_ipv6: null,
            port: 443,
            source_address: null,
            reported_at: at,
          })),
        )
        .execute();
    }
    await trx
      .updateTable('zone')
      .set((eb) => ({ serial: eb('serial', '+', 1) }))
      .where('id', '=', 1)
      .execute();
  });
}
