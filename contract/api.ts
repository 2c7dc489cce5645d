// The bodies of the manager's API, once: valibot schemas from which the manager validates each
// request (worker/validate.ts) and builds /openapi.json (worker/openapi.ts), and the types the
// agent's manager client sends and reads. Checks that JSON Schema cannot say (RFC 1918, ULA)
// are `check` actions: enforced here, described in the field's description there.
import * as v from 'valibot';
import { canonicalIpv6, isGlobalIpv6, isIpv4, isNonPublicIpv4, isRfc1918, isUla, parseCidr } from '../dns/address.ts';
import { LABEL } from '../dns/name.ts';
import type { NodeNames } from './identity.ts';
import { VERDICT_CODES } from './verdicts.ts';

/** A licence or node: the label rules (lower case, and so on) answer `invalid-label`, after this. */
const label = (what: string) =>
  v.pipe(
    v.string(`"${what}" is required and must be a string`),
    v.minLength(1, `"${what}" is required and must be a string`),
    v.description(`a DNS label (${LABEL.source})`),
  );

export type AddressField = 'privateIpv4' | 'privateIpv6' | 'publicIpv4' | 'publicIpv6';

/** What each address field accepts, for the JSON report and dyndns2 alike; IPv6 kept canonical. */
export const ADDRESS_FIELDS: Record<
  AddressField,
  { check: (v: string) => boolean; message: string; description: string; canonical: (v: string) => string }
> = {
  privateIpv4: {
    check: isRfc1918,
    message: 'must be an RFC 1918 IPv4 address: 10/8, 172.16/12 or 192.168/16',
    description: 'RFC 1918 address',
    canonical: (a) => a,
  },
  privateIpv6: {
    check: isUla,
    message: 'must be a unique local IPv6 address (fc00::/7)',
    description: 'ULA (fc00::/7)',
    canonical: canonicalIpv6,
  },
  publicIpv4: {
    check: (a) => isIpv4(a) && !isNonPublicIpv4(a),
    message: 'must be a public IPv4 address, not private, loopback, link-local or CGNAT',
    description: 'Defaults to the request source when that is public',
    canonical: (a) => a,
  },
  publicIpv6: {
    check: isGlobalIpv6,
    message: 'must be a global unicast IPv6 address (2000::/3)',
    description: 'Global unicast; defaults to the request source when it is one; null: the node has none',
    canonical: canonicalIpv6,
  },
};

/** A field that must pass its check, with one message for a wrong type and a wrong value alike. */
const address = (field: AddressField) => {
  const { check, message, description } = ADDRESS_FIELDS[field];
  return v.pipe(v.string(message), v.check(check, message), v.description(description));
};

const PORT_MESSAGE = 'must be a whole number from 1 to 65535';

export const AddressReport = v.strictObject({
  privateIpv4: v.pipe(address('privateIpv4'), v.examples(['10.1.2.3'])),
  privateIpv6: v.optional(v.nullable(address('privateIpv6'))),
  publicIpv4: v.optional(v.nullable(address('publicIpv4'))),
  publicIpv6: v.optional(v.nullable(address('publicIpv6'))),
  port: v.optional(
    v.nullable(
      v.pipe(
        v.number(PORT_MESSAGE),
        v.integer(PORT_MESSAGE),
        v.minValue(1, PORT_MESSAGE),
        v.maxValue(65535, PORT_MESSAGE),
      ),
    ),
  ),
});
/** What a node sends: `PUT /v1/licences/{licence}/nodes/{node}/addresses`. A missing public address defaults to the request's source; `null` clears it. */
export type AddressReport = v.InferOutput<typeof AddressReport>;

export const LicenceCreation = v.strictObject({ licence: label('licence') });
export const NodeEnrolment = v.strictObject({ node: label('node') });

/** A string of 1 to `max` characters, one message for every way it is not. */
const text = (field: string, max: number) => {
  const message = `"${field}" must be a string of 1 to ${max} characters`;
  return v.pipe(v.string(message), v.minLength(1, message), v.maxLength(max, message));
};

/** Support tokens last 8 h unless asked otherwise, at most 30 days. */
const TTL_MESSAGE = '"ttlSeconds" must be a whole number from 60 to 2592000';
export const SupportTokenRequest = v.strictObject({
  subject: v.optional(text('subject', 200)),
  ttlSeconds: v.optional(
    v.pipe(
      v.number(TTL_MESSAGE),
      v.integer(TTL_MESSAGE),
      v.minValue(60, TTL_MESSAGE),
      v.maxValue(30 * 86_400, TTL_MESSAGE),
    ),
  ),
});

/**
 * Which of the node's names: `relay` only where the manager runs a relay (the route checks that;
 * the node's names are not known here).
 */
const nameKind = v.pipe(
  v.picklist(['external', 'internal', 'relay'], '"name" must be "external", "internal" or "relay"'),
  v.description('relay: only where the manager runs a relay'),
);

/**
 * RFC 8555 §8.4: a DNS-01 value is base64url(SHA-256(key authorization)), 43 characters.
 * Anything else is refused, so a node's credential cannot publish arbitrary TXT data in the zone.
 */
const challengeValue = (field: string) => {
  const message = `"${field}" must be a DNS-01 key authorization digest: 43 base64url characters`;
  return v.pipe(v.string(message), v.regex(/^[A-Za-z0-9_-]{43}$/, message));
};

/** `PUT /v1/licences/{licence}/nodes/{node}/acme-challenges`: a DNS-01 value to serve. */
export const AcmeChallengeAdd = v.strictObject({ name: nameKind, value: challengeValue('value') });
/** `DELETE` of the same path: one value withdrawn, or without `value` every value of the name. */
export const AcmeChallengeRemoval = v.strictObject({ name: nameKind, value: v.optional(challengeValue('value')) });

const CIDR_MESSAGE = '"allowfrom" must be a list of CIDR ranges such as "192.0.2.0/24"';
/** acme-dns `POST /register`, bound to one of the node's names (acme-dns itself takes only `allowfrom`). */
export const AcmeDnsRegistration = v.strictObject({
  licence: label('licence'),
  node: label('node'),
  name: nameKind,
  allowfrom: v.optional(
    v.array(
      v.pipe(
        v.string(CIDR_MESSAGE),
        v.check((r) => parseCidr(r) !== undefined, CIDR_MESSAGE),
      ),
      CIDR_MESSAGE,
    ),
  ),
});
/** acme-dns `POST /update`: the account's own subdomain and the value. */
export const AcmeDnsUpdate = v.strictObject({
  subdomain: v.string('"subdomain" must be a string'),
  txt: challengeValue('txt'),
});

const ASN_MESSAGE = '"network.asn" must be an AS number';
/**
 * `POST /v1/licences/{licence}/nodes/{node}/probe-reports`: a probe's result, kept whole as its
 * evidence (its other fields are the probe's own), and the box hairpin self-test's.
 */
export const ProbeReportBody = v.strictObject({
  result: v.looseObject(
    {
      verdict: v.pipe(
        v.picklist(VERDICT_CODES, '"result.verdict" must be a verdict code (docs/probe.md)'),
        v.description('a verdict code (docs/probe.md)'),
      ),
      reason: text('result.reason', 2000),
      name: text('result.name', 253),
      resolver: text('result.resolver', 300),
      elapsedMs: v.optional(v.number()),
    },
    '"result" must be the probe result object',
  ),
  hairpins: v.optional(v.nullable(v.boolean('"hairpins" must be true, false or null'))),
  network: v.optional(
    v.strictObject(
      {
        asn: v.optional(
          v.pipe(
            v.number(ASN_MESSAGE),
            v.integer(ASN_MESSAGE),
            v.minValue(1, ASN_MESSAGE),
            v.maxValue(2 ** 32 - 1, ASN_MESSAGE),
          ),
        ),
        organisation: v.optional(text('network.organisation', 200)),
        label: v.optional(text('network.label', 100)),
      },
      '"network" must be an object of asn, organisation and label',
    ),
  ),
});

export type ProbeReportBody = v.InferOutput<typeof ProbeReportBody>;

/** The request bodies by the name /openapi.json gives them. */
export const REQUEST_BODIES = {
  AddressReport,
  LicenceCreation,
  NodeEnrolment,
  SupportTokenRequest,
  AcmeChallengeAdd,
  AcmeChallengeRemoval,
  AcmeDnsRegistration,
  AcmeDnsUpdate,
  ProbeReportBody,
};

/** The addresses a node last reported, as the manager answers them. */
export interface AddressesView {
  privateIpv4: string;
  privateIpv6: string | null;
  publicIpv4: string | null;
  publicIpv6: string | null;
  port: number | null;
  sourceAddress: string | null;
  reportedAt: string;
}

/**
 * A node as the manager answers it (`GET /v1/licences/{licence}/nodes/{node}`): its names, and
 * what is derived from the manager's templates, so that no one else derives them again.
 */
export interface NodeView {
  licence: string;
  node: string;
  names: NodeNames;
  /** The zone apex the names live under. */
  zone: string;
  /** The licence's app-store name (`HAIRPIN_APPS_TEMPLATE`): its https origin may call the node. */
  appsName: string;
  /** The node's https origins (with the reported port) and the app store's. */
  origins: { external: string; internal: string; apps: string };
  createdAt: string;
  addresses: AddressesView | null;
}

export interface RecordView {
  name: string;
  type: string;
  ttl: number;
  data: string;
}

/**
 * What the reachability check's TCP connect saw (`POST …/reachability`, docs/ipv6.md): the
 * handshake completed; a reset; nothing within the bound (a firewall dropping); an ICMP error.
 */
export const REACH_OUTCOMES = ['open', 'refused', 'filtered', 'unreachable'] as const;
export type ReachOutcome = (typeof REACH_OUTCOMES)[number];

/** One family's last check; `current` is false once the node reported another address or port. */
export interface ReachCheckView {
  family: 'ipv4' | 'ipv6';
  address: string;
  port: number;
  outcome: ReachOutcome;
  detail: string;
  elapsedMs: number;
  checkedAt: string;
  current: boolean;
}

/** Per family, the last check, or null where none was made. */
export interface ReachabilityView {
  ipv4: ReachCheckView | null;
  ipv6: ReachCheckView | null;
}

/** The answer to a state read or a report: the node, the records now served and the zone serial. */
export interface NodeAnswer extends NodeView {
  records: RecordView[];
  serial: number;
  /** On a state read: the last reachability check. */
  reachability?: ReachabilityView;
}

export interface ReportAnswer extends NodeAnswer {
  /** The report changed what the zone serves (a history row, a serial bump, a NOTIFY). */
  changed: boolean;
}

/** `https://host` on 443, `https://host:port` otherwise. */
export function httpsOrigin(host: string, port: number | null | undefined): string {
  return !port || port === 443 ? `https://${host}` : `https://${host}:${port}`;
}
