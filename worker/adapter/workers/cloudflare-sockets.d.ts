// The part of `cloudflare:sockets` the reachability check uses, in the shape
// @cloudflare/workers-types publishes (its global types cannot join the Node program's).
declare module 'cloudflare:sockets' {
  export function connect(address: { hostname: string; port: number }): {
    readonly opened: Promise<{ remoteAddress?: string; localAddress?: string }>;
    close(): Promise<void>;
  };
}
