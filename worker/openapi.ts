// The API description served at /openapi.json (OpenAPI 3.1). The request bodies are generated
// from their schemas in contract/api.ts (the ones the manager validates with) and the problem
// types from contract/problem.ts; the paths are listed beside the routes they describe, and
// test/manager/api-suite.ts checks every documented path answers.
import { toJsonSchema } from '@valibot/to-json-schema';
import { REQUEST_BODIES } from '../contract/api.ts';
import { PROBLEM_URN, PROBLEMS } from '../contract/problem.ts';
import { LABEL } from '../dns/name.ts';

const problem = { $ref: '#/components/responses/Problem' };
const bearer = [{ bearer: [] }];
const path = (licence = true, node = false) => [
  ...(licence ? [{ name: 'licence', in: 'path', required: true, schema: { $ref: '#/components/schemas/Label' } }] : []),
  ...(node ? [{ name: 'node', in: 'path', required: true, schema: { $ref: '#/components/schemas/Label' } }] : []),
];
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const body = (name: keyof typeof REQUEST_BODIES) => json({ $ref: `#/components/schemas/${name}` });

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of each request body; `check` actions (RFC 1918, ULA) are in the descriptions. */
function requestBodySchemas(): Record<string, object> {
  return Object.fromEntries(
    Object.entries(REQUEST_BODIES).map(([name, schema]) => {
      const { $schema: _, ...jsonSchema } = toJsonSchema(schema, { target: 'draft-2020-12', errorMode: 'ignore' });
      return [name, jsonSchema];
    }),
  );
}

export function openApiDocument(zone: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'hairpin manager',
      version: '1',
      description: `Enrols nodes, takes their address reports and serves them as DNS for ${zone} (DoH and port 53).`,
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Admin token, or a node credential for its own node' },
      },
      schemas: {
        Label: { type: 'string', pattern: LABEL.source },
        Names: { type: 'object', properties: { external: { type: 'string' }, internal: { type: 'string' } } },
        ...requestBodySchemas(),
        Problem: {
          type: 'object',
          properties: {
            type: { type: 'string', enum: Object.keys(PROBLEMS).map((k) => `${PROBLEM_URN}${k}`) },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            errors: {
              type: 'array',
              items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
            },
          },
        },
      },
      responses: {
        Problem: {
          description: 'RFC 9457 problem',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
      },
    },
    paths: {
      '/healthz': { get: { summary: 'Liveness and the zone serial', responses: { 200: { description: 'ok' } } } },
      '/health': {
        get: {
          summary: 'The same as /healthz, where acme-dns clients look',
          responses: { 200: { description: 'ok' } },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus text (bearer HAIRPIN_METRICS_TOKEN; 404 when none is set)',
          responses: { 200: { description: 'text/plain; version=0.0.4' }, 401: problem, 404: problem },
        },
      },
      '/nic/update': {
        get: {
          summary:
            'dyndns2 update (HTTP basic auth: the external name and the node credential); answers good, nochg, badauth, notfqdn, nohost, numhost, dnserr, abuse, 911',
          parameters: [
            { name: 'hostname', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'myip', in: 'query', schema: { type: 'string' } },
          ],
          responses: {
            200: { description: 'text/plain return code(s), one line per host name' },
            401: { description: 'badauth' },
          },
        },
      },
      '/dns-query': {
        get: {
          summary: 'DoH (RFC 8484) with ?dns=, or the JSON form with ?name=&type=',
          parameters: [
            { name: 'dns', in: 'query', schema: { type: 'string' } },
            { name: 'name', in: 'query', schema: { type: 'string' } },
            { name: 'type', in: 'query', schema: { type: 'string' } },
          ],
          responses: {
            200: { description: 'application/dns-message or application/dns-json' },
            400: problem,
            413: problem,
          },
        },
        post: {
          summary: 'DoH (RFC 8484) POST',
          requestBody: { content: { 'application/dns-message': {} } },
          responses: { 200: { description: 'application/dns-message' }, 400: problem, 413: problem, 415: problem },
        },
      },
      '/resolve': {
        get: {
          summary: 'DNS JSON (Google/Cloudflare shape)',
          parameters: [
            { name: 'name', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'type', in: 'query', schema: { type: 'string' } },
          ],
          responses: { 200: { description: 'application/dns-json' }, 400: problem },
        },
      },
      '/v1/licences': {
        get: {
          summary: 'List licences (admin)',
          security: bearer,
          responses: { 200: { description: 'licences' }, 401: problem },
        },
        post: {
          summary: 'Create a licence (admin)',
          security: bearer,
          requestBody: body('LicenceCreation'),
          responses: { 201: { description: 'created' }, 400: problem, 401: problem, 409: problem },
        },
      },
      '/v1/licences/{licence}': {
        parameters: path(),
        get: {
          summary: 'A licence and its nodes (admin)',
          security: bearer,
          responses: { 200: { description: 'licence' }, 404: problem },
        },
        delete: {
          summary: 'Delete a licence and its nodes (admin)',
          security: bearer,
          responses: { 204: { description: 'deleted' }, 404: problem },
        },
      },
      '/v1/licences/{licence}/nodes': {
        parameters: path(),
        get: { summary: 'List nodes (admin)', security: bearer, responses: { 200: { description: 'nodes' } } },
        post: {
          summary: 'Enrol a node (admin); the credential is shown once',
          security: bearer,
          requestBody: body('NodeEnrolment'),
          responses: {
            201: { description: '{licence,node,names,credential}' },
            400: problem,
            401: problem,
            409: problem,
          },
        },
      },
      '/v1/licences/{licence}/nodes/{node}': {
        parameters: path(true, true),
        get: {
          summary: 'Node state (admin or the node)',
          security: bearer,
          responses: { 200: { description: 'state, records served, serial' }, 401: problem, 403: problem },
        },
        delete: {
          summary: 'Delete a node (admin)',
          security: bearer,
          responses: { 204: { description: 'deleted' }, 404: problem },
        },
      },
      '/v1/licences/{licence}/nodes/{node}/addresses': {
        parameters: path(true, true),
        put: {
          summary: 'Report addresses (the node, or admin)',
          security: bearer,
          requestBody: body('AddressReport'),
          responses: {
            200: { description: 'names, records now served, serial' },
            400: problem,
            401: problem,
            403: problem,
            415: problem,
          },
        },
      },
      '/v1/licences/{licence}/nodes/{node}/reachability': {
        parameters: path(true, true),
        post: {
          summary:
            "Reachability check: TCP connect from the manager to the node's own reported public IPv4 and IPv6 and port; no body (one per node per minute)",
          security: bearer,
          responses: {
            200: { description: 'per family: address, port, outcome (open, refused, filtered, unreachable), current' },
            400: problem,
            403: problem,
            409: problem,
            429: problem,
            501: problem,
          },
        },
      },
      '/v1/licences/{licence}/nodes/{node}/history': {
        parameters: path(true, true),
        get: {
          summary: 'Address history, newest first (admin or the node)',
          security: bearer,
          responses: { 200: { description: 'history' } },
        },
      },
      '/v1/licences/{licence}/nodes/{node}/acme-challenges': {
        parameters: path(true, true),
        get: {
          summary: 'TXT values served at _acme-challenge of both names (the node, or admin)',
          security: bearer,
          responses: { 200: { description: 'values per name' }, 401: problem, 403: problem },
        },
        put: {
          summary: "Add a DNS-01 value for one of the node's names; two kept per name (the node, or admin)",
          security: bearer,
          requestBody: body('AcmeChallengeAdd'),
          responses: { 200: { description: 'values now served, serial' }, 400: problem, 403: problem },
        },
        delete: {
          summary: 'Remove one value, or all of a name (the node, or admin)',
          security: bearer,
          requestBody: body('AcmeChallengeRemoval'),
          responses: { 200: { description: 'values now served' }, 404: problem },
        },
      },
      '/v1/licences/{licence}/nodes/{node}/probe-reports': {
        parameters: path(true, true),
        post: {
          summary: 'Post a probe result, with the box hairpin self-test (the node)',
          security: bearer,
          requestBody: body('ProbeReportBody'),
          responses: {
            201: { description: 'recorded, with the network the manager attributed it to' },
            400: problem,
            403: problem,
          },
        },
      },
      '/v1/compat': {
        get: {
          summary: 'ISP compatibility: per network and resolver, verdict counts, hairpin, last seen (support)',
          security: bearer,
          parameters: [{ name: 'days', in: 'query', schema: { type: 'integer' } }],
          responses: { 200: { description: 'aggregates' }, 401: problem, 403: problem },
        },
      },
      '/v1/compat/licences/{licence}': {
        parameters: path(),
        get: {
          summary: "Compatibility of one licence's nodes (support)",
          security: bearer,
          responses: { 200: { description: 'per node' }, 401: problem },
        },
      },
      '/v1/compat/licences/{licence}/nodes/{node}': {
        parameters: path(true, true),
        get: {
          summary: "A node's probe reports with their evidence (support)",
          security: bearer,
          responses: { 200: { description: 'reports' }, 401: problem },
        },
      },
      '/v1/support-tokens': {
        post: {
          summary: 'Issue a read-only support token, a signed JWT (admin)',
          security: bearer,
          requestBody: body('SupportTokenRequest'),
          responses: { 201: { description: '{token, expiresAt}' }, 401: problem },
        },
      },
      '/support': {
        get: {
          summary:
            'Support page (HTML): weekly verdict shares per ISP and the ISP × resolver grid; query isp, verdict, days, sort, order; drill-down per licence and node',
          security: bearer,
          responses: { 200: { description: 'text/html' }, 400: problem, 401: problem },
        },
      },
      '/register': {
        post: {
          summary:
            'acme-dns compatible: an account bound to one node name (node credential or admin); at most 10 per node',
          security: bearer,
          requestBody: body('AcmeDnsRegistration'),
          responses: {
            201: { description: '{username, password, fulldomain, subdomain, allowfrom}' },
            401: problem,
            409: problem,
          },
        },
      },
      '/update': {
        post: {
          summary: 'acme-dns compatible: set a TXT value (X-Api-User, X-Api-Key)',
          parameters: [
            { name: 'X-Api-User', in: 'header', required: true, schema: { type: 'string' } },
            { name: 'X-Api-Key', in: 'header', required: true, schema: { type: 'string' } },
          ],
          requestBody: body('AcmeDnsUpdate'),
          responses: { 200: { description: '{txt}' }, 401: problem, 403: problem },
        },
      },
      '/v1/licences/{licence}/nodes/{node}/credential': {
        parameters: path(true, true),
        post: {
          summary: "Rotate the node credential (admin); shown once; revokes the node's acme-dns accounts",
          security: bearer,
          responses: { 200: { description: '{credential, acmeDnsAccountsRevoked}' }, 404: problem },
        },
      },
      '/v1/licences/{licence}/nodes/{node}/acme-dns-accounts': {
        parameters: path(true, true),
        get: {
          summary: "The node's acme-dns accounts, without passwords (node or admin)",
          security: bearer,
          responses: {
            200: {
              description:
                '{licence, node, limit, accounts: [{username, subdomain, name, fulldomain, allowfrom, createdAt}]}',
            },
            401: problem,
          },
        },
      },
      '/v1/licences/{licence}/nodes/{node}/acme-dns-accounts/{username}': {
        parameters: [...path(true, true), { name: 'username', in: 'path', required: true, schema: { type: 'string' } }],
        delete: {
          summary: 'Delete one acme-dns account (node or admin)',
          security: bearer,
          responses: { 204: { description: 'deleted' }, 401: problem, 404: problem },
        },
      },
    },
  };
}
