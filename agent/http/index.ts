// Helpers for the node's own HTTPS service: Host allow-list, CORS, private-network preflight,
// the /.well-known/hairpin identity endpoint.
export { servicePolicy, allowedOrigins, allowedHosts, hostName, IDENTITY_PATH, type ServiceIdentity, type NodeNames, type RequestFacts, type Decision } from './policy.ts';
export { withHairpinFetch } from './fetch.ts';
export { withHairpinListener } from './node.ts';
