// The DoH peers of bench:doh, configured as an operator would run them in front of one zone, on
// loopback, in the clear (the bench measures DNS over HTTP, not TLS): unbound answering from the
// zone file itself (an auth-zone, its DoH endpoint in h2c), and dnsdist with its packet cache in
// front of an authoritative server.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * unbound with one thread, the zone loaded from `zoneFile` as an auth-zone answered to clients
 * (`for-downstream`), plain DNS on `port` and DoH without TLS on `dohPort` (unbound's DoH is
 * HTTP/2 only: h2c by prior knowledge).
 */
export async function writeUnboundConfig(
  dir: string,
  zone: string,
  zoneFile: string,
  port: number,
  dohPort: number,
): Promise<string> {
  const conf = join(dir, 'unbound.conf');
  await writeFile(
    conf,
    `server:
  interface: 127.0.0.1@${port}
  interface: 127.0.0.1@${dohPort}
  https-port: ${dohPort}
  http-notls-downstream: yes
  http-endpoint: "/dns-query"
  num-threads: 1
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${dir}/unbound.pid"
  use-syslog: no
  verbosity: 0
  module-config: "iterator"
  # .test is one of unbound's built-in empty zones (RFC 6761): served here instead.
  local-zone: "test." nodefault
remote-control:
  control-enable: no
auth-zone:
  name: "${zone}"
  zonefile: "${zoneFile}"
  for-downstream: yes
  for-upstream: no
  fallback-enabled: no
`,
  );
  return conf;
}

/**
 * dnsdist with plain DNS on `port` and DoH without TLS on `dohPort` (HTTP/1.1, and h2c), every
 * query sent to the authoritative server on `backendPort` unless its packet cache holds the
 * answer; the cache holds `cacheEntries`, so that the whole query mix fits. Health checks ask
 * the zone's SOA (the default asks a root name, which an authoritative server refuses).
 */
export async function writeDnsdistConfig(
  dir: string,
  zone: string,
  port: number,
  dohPort: number,
  backendPort: number,
  cacheEntries: number,
): Promise<string> {
  const conf = join(dir, 'dnsdist.conf');
  await writeFile(
    conf,
    `setSecurityPollSuffix("")
setLocal("127.0.0.1:${port}")
addDOHLocal("127.0.0.1:${dohPort}", nil, nil, "/dns-query")
newServer({ address = "127.0.0.1:${backendPort}", checkName = "${zone}.", checkType = "SOA" })
getPool(""):setCache(newPacketCache(${cacheEntries}))
`,
  );
  return conf;
}
