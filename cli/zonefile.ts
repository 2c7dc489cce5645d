// `hairpin zonefile`: the zone as an RFC 1035 master file on stdout, read from the manager's
// store, for an NSD, Knot or BIND that is fed by file rather than by zone transfer.
import { openStore } from '../worker/adapter/sqlite/store.ts';
import { configFromEnv } from '../worker/config.ts';
import { listZoneRecords, toZoneFile } from '../worker/zone/zone-file.ts';
import { defineCommand, UsageError } from './command.ts';

export const command = defineCommand({
  usage:
    'usage: hairpin zonefile > example.test.zone\n\nReads HAIRPIN_DB (default data/hairpin.sqlite) and HAIRPIN_ZONE like `hairpin manager`, writes the zone to stdout.',
  examples: ['HAIRPIN_DB=/var/lib/hairpin/hairpin.sqlite HAIRPIN_ZONE=example.net hairpin zonefile > example.net.zone'],
  options: {},
  async run({ positionals }) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const config = configFromEnv({ ...process.env, HAIRPIN_ADMIN_TOKEN: undefined });
    const { store, close } = await openStore(process.env.HAIRPIN_DB || 'data/hairpin.sqlite');
    try {
      process.stdout.write(toZoneFile(config.names.zone, await listZoneRecords(config, store)));
    } finally {
      await close();
    }
    return 0;
  },
});
