// `hairpin zonefile`: the zone as an RFC 1035 master file on stdout, read from the manager's
// store, for an NSD, Knot or BIND that is fed by file rather than by zone transfer.
import { openStore } from '../worker/adapter/sqlite/store.ts';
import { configFromEnv } from '../worker/config.ts';
import { listZoneRecords, toZoneFile } from '../worker/zone/zone-file.ts';

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help')) {
    console.log('usage: hairpin zonefile > example.test.zone\n\nReads HAIRPIN_DB (default data/hairpin.sqlite) and HAIRPIN_ZONE like `hairpin manager`, writes the zone to stdout.');
    return 0;
  }
  const config = configFromEnv({ ...process.env, HAIRPIN_ADMIN_TOKEN: undefined });
  const { store, close } = await openStore(process.env.HAIRPIN_DB || 'data/hairpin.sqlite');
  try {
    process.stdout.write(toZoneFile(config.names.zone, await listZoneRecords(config, store)));
  } finally {
    await close();
  }
  return 0;
}
