import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addReportedNodes, licenceOf, nodeOf } from '../../../test/support/bulk-nodes.ts';
import type { ZoneNodeRow } from '../../zone/answer.ts';
import { openStore } from './store.ts';
import { nodeRowsOf, sqliteZoneReads } from './zone-reads.ts';

const dir = mkdtempSync(join(tmpdir(), 'hairpin-zone-reads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sqliteZoneReads().nodePage', () => {
  it('lists every node in (licence, node) order, page after page, as getNode reads each', async () => {
    const path = join(dir, 'pages.sqlite');
    const { store, close } = await openStore(path);
    await addReportedNodes(store, 120);
    await store.createNode('0999', 'solo', 'hash', 1);
    const reads = sqliteZoneReads(store.db, path);
    try {
      const listed: ZoneNodeRow[] = [];
      for (let page = reads.nodePage(undefined, 50); page.length > 0; page = reads.nodePage(page.at(-1), 50))
        listed.push(...page);
      expect(listed).toHaveLength(121);
      expect(listed[0]).toEqual({ licence: '0999', node: 'solo', addresses: undefined });
      const keys = listed.map((n) => `${n.licence} ${n.node}`);
      expect(keys).toEqual([...keys].sort());
      for (const i of [0, 4, 119]) {
        const row = listed.find((n) => n.licence === licenceOf(i) && n.node === nodeOf(i))!;
        const { privateIpv4, privateIpv6, publicIpv4, publicIpv6 } = reads.getNode(row.licence, row.node)!.addresses!;
        expect(row.addresses).toEqual({ privateIpv4, privateIpv6, publicIpv4, publicIpv6 });
      }
    } finally {
      reads.close();
      await close();
    }
  });
});

describe('nodeRowsOf', () => {
  it('reads empty fields as null and refuses a line of another shape', () => {
    expect(nodeRowsOf(null)).toEqual([]);
    expect(nodeRowsOf('1 a 10.0.0.1  203.0.113.1 \n1 b    ')).toEqual([
      {
        licence: '1',
        node: 'a',
        addresses: { privateIpv4: '10.0.0.1', privateIpv6: null, publicIpv4: '203.0.113.1', publicIpv6: null },
      },
      { licence: '1', node: 'b', addresses: undefined },
    ]);
    expect(() => nodeRowsOf('1 a 10.0.0.1')).toThrow();
  });
});
