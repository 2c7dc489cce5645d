// Helpers for the node's own HTTPS service: Host allow-list, CORS, private-network preflight,
// the /.well-known/hairpin identity endpoint.

export { withHairpinFetch } from './fetch.ts';
export { withHairpinListener } from './node.ts';
export {
  allowedHosts,
  allowedOrigins,
  type Decision,
  hostName,
  IDENTITY_PATH,
  type NodeNames,
  type RequestFacts,
  type ServiceIdentity,
  servicePolicy,
} from './policy.ts';
