// `hairpin manager`: the embedded default. Settings from flags, the environment and an optional
// config file (worker/adapter/node/settings.ts), with the same names.
import { startNodeManager } from '../worker/adapter/node/index.ts';
import {
  flagName,
  MANAGER_VARIABLES,
  managerSettings,
  SettingsError,
  variableName,
} from '../worker/adapter/node/settings.ts';
import { ConfigError } from '../worker/config.ts';
import { defineCommand, UsageError } from './command.ts';

const options = Object.fromEntries(MANAGER_VARIABLES.map((v) => [flagName(v), { type: 'string' as const }]));

export const command = defineCommand({
  usage: `usage: hairpin manager [--config FILE] [--<setting> VALUE ...]

Runs the manager until SIGTERM or SIGINT. Every setting is a HAIRPIN_* variable, a flag of the
same name (HAIRPIN_HTTP_PORT is --http-port) and a line of the config file (--config, else
$HAIRPIN_CONFIG: KEY=VALUE lines, the format of systemd's EnvironmentFile=). A flag wins over the
environment, the environment over the file. The settings (docs/manager.md, docs/operations.md):

${MANAGER_VARIABLES.map((v) => `  --${flagName(v)}`).join('\n')}`,
  examples: [
    'hairpin manager',
    'hairpin manager --zone example.net --http-port 9000 --dns-port 53 --db /var/lib/hairpin/hairpin.sqlite',
    'HAIRPIN_CONFIG=/etc/hairpin/manager.env hairpin manager',
  ],
  options: { ...options, config: { type: 'string' } },
  async run({ values, positionals }) {
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument "${positionals[0]}" (settings are flags: --zone example.net)`);
    const { config: file, ...given } = values as Record<string, string | undefined>;
    const flags = Object.fromEntries(Object.entries(given).map(([flag, value]) => [variableName(flag), value]));
    const manager = await managerSettings({ env: process.env, flags, file })
      .then((env) => startNodeManager({ env }))
      .catch((e: { code?: string; message: string }) => {
        // A setting that is not valid is bad usage (exit 2), as a bad flag is.
        throw e.code === ConfigError.code || e.code === SettingsError.code ? new UsageError(e.message) : e;
      });
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await manager.close();
    return 0;
  },
});
