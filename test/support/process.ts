// Manager processes started the way operators start them (`hairpin manager`), for tests that
// kill and restart them.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './net.ts';
import { waitUntil } from './wait.ts';

const bin = fileURLToPath(new URL('../../bin/hairpin.js', import.meta.url));

export interface ManagerProcess {
  child: ChildProcess;
  url: string;
  port: number;
  /** Everything it printed so far. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** `args`: flags after `hairpin manager`. */
export async function spawnManager(
  env: Record<string, string>,
  port?: number,
  args: string[] = [],
): Promise<ManagerProcess> {
  const httpPort = port ?? (await freePort());
  const child = spawn(process.execPath, [bin, 'manager', ...args], {
    env: { ...process.env, HAIRPIN_HTTP_PORT: String(httpPort), HAIRPIN_DNS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const tls = Boolean(env.HAIRPIN_TLS_CERT);
  const url = `http${tls ? 's' : ''}://127.0.0.1:${httpPort}`;
  await waitUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`manager exited: ${output}`);
      // Over TLS with a test CA fetch() would refuse the certificate: the start-up line says enough.
      if (tls) return output.includes('dns for zone');
      return fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
    },
    { timeout: () => `manager did not start: ${output}` },
  );
  return {
    child,
    url,
    port: httpPort,
    output: () => output,
    stop: (signal = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
