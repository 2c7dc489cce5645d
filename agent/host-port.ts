// `host:port` as the agent's settings write it: the pairing endpoint's and the LAN responder's
// listening addresses, the relay's target. One reading for all three, checked when the config is
// loaded; not a URL, whose reading drops a scheme's default port (`http://0.0.0.0:80` has none).

export interface HostPort {
  host: string;
  port: number;
}

// A name or IPv4 address, or an IPv6 address in brackets; then a port.
const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/;

/**
 * `192.168.1.10:5300`, `[fd00::10]:5300`, `localhost:8443` → host and port (0: any free port);
 * null for anything else.
 *
 * ```ts
 * parseHostPort('[fd00::10]:53'); // { host: 'fd00::10', port: 53 }
 * ```
 */
export function parseHostPort(spec: string): HostPort | null {
  const m = HOST_PORT.exec(spec);
  if (!m) return null;
  const port = Number(m[3]);
  return port <= 65535 ? { host: m[1] ?? m[2]!, port } : null;
}

/** parseHostPort for the setting `key`, which must hold one. */
export function hostPortSetting(key: string, spec: string): HostPort {
  const parsed = parseHostPort(spec);
  if (!parsed) throw new TypeError(hostPortError(key, spec));
  return parsed;
}

export const hostPortError = (key: string, spec: string) =>
  `${key} must be host:port, an IPv6 host in brackets (got ${JSON.stringify(spec)})`;
