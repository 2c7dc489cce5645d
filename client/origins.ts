/** The two origins of one node: where the app was mounted, and the other name of the same node. */
export interface NodeOrigins {
  /** The mount point, as handed out at pairing (its path is the base of relative URLs). */
  mountPoint: URL;
  /** The mount point's origin first, then the other one. */
  origins: readonly [string, string];
  /** The LAN origin (the `i-` name); the mount point when neither name says. */
  internal: string;
}

/**
 * @example
 *   nodeOrigins('https://i-nur1.pl-1234.example.test:8443/');
 *   // origins: ['https://i-nur1.pl-1234.example.test:8443', 'https://nur1.pl-1234.example.test:8443']
 */
export function nodeOrigins(mountPoint: string | URL, otherOrigin?: string | URL): NodeOrigins {
  const mount = new URL(mountPoint);
  const other = otherOrigin === undefined ? siblingOrigin(mount) : new URL(otherOrigin).origin;
  if (other === mount.origin) throw new TypeError(`the other origin must differ from the mount point (${other})`);
  const isInternal = (origin: string) => new URL(origin).hostname.toLowerCase().startsWith('i-');
  return {
    mountPoint: mount,
    origins: [mount.origin, other],
    internal: isInternal(other) && !isInternal(mount.origin) ? other : mount.origin,
  };
}

// The pairing naming rule: internal `i-{node}.pl-{licence}.{zone}`, external `{node}.pl-{licence}.{zone}`, same port.
function siblingOrigin(mount: URL): string {
  const url = new URL(mount.origin);
  const [first, ...rest] = url.hostname.split('.');
  if (!first || rest.length === 0)
    throw new TypeError(`cannot derive the other origin of ${mount.origin}: pass otherOrigin`);
  url.hostname = [first.toLowerCase().startsWith('i-') ? first.slice(2) : `i-${first}`, ...rest].join('.');
  return url.origin;
}
