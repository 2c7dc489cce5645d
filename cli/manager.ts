// `hairpin manager`: the embedded default, configured from the environment (see docs/manager.md).
import { startNodeManager } from '../worker/adapter/node/index.ts';

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help')) {
    console.log('usage: hairpin manager\n\nConfigured by HAIRPIN_* environment variables: HAIRPIN_ZONE, HAIRPIN_DB, HAIRPIN_HTTP_PORT, HAIRPIN_DNS_PORT, HAIRPIN_ADMIN_TOKEN, ... (docs/manager.md, "Configuration")');
    return 0;
  }
  const manager = await startNodeManager({ env: process.env });
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await manager.close();
  return 0;
}
