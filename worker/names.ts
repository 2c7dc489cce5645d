// The zone's naming scheme: templates such as `i-{node}.pl-{licence}.{zone}` turned into names,
// and names parsed back into (licence, node). One place, used by the API and by the zone.
import type { NodeNames } from '../contract/identity.ts';
import { isValidHostName, isValidLabel, normalizeName, relativeLabels } from '../dns/name.ts';

export interface NameTemplates {
  /** e.g. `{node}.pl-{licence}.{zone}` */
  external: string;
  /** e.g. `i-{node}.pl-{licence}.{zone}` */
  internal: string;
  /** e.g. `pl-{licence}.apps.{zone}` */
  apps: string;
  /** e.g. `relay-{node}-pl-{licence}.{zone}`; absent: no relay names (the relay is off). */
  relay?: string;
}

export const SEED_TEMPLATES: NameTemplates = {
  external: '{node}.pl-{licence}.{zone}',
  internal: 'i-{node}.pl-{licence}.{zone}',
  apps: 'pl-{licence}.apps.{zone}',
};

export type NameKind = 'external' | 'internal' | 'relay';

/**
 * One label below the zone by default: Cloudflare's Universal SSL certificate covers `*.{zone}`
 * and nothing deeper, and on Workers the relay name's TLS ends at Cloudflare's edge.
 */
export const DEFAULT_RELAY_TEMPLATE = 'relay-{node}-pl-{licence}.{zone}';

interface CompiledTemplate {
  /** The name for a licence and node: the template's parts joined, no pattern run (asked per node of a transfer). */
  fill: (licence: string, node: string) => string;
  regex: RegExp;
  /** Labels the template fixes (every label without a placeholder), for empty non-terminals. */
  suffixPattern: RegExp[];
}

const PLACEHOLDER = /\{(node|licence)\}/g;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function relativeTemplate(template: string): string {
  if (!template.endsWith('.{zone}')) throw new Error(`name template must end with ".{zone}": ${template}`);
  return template.slice(0, -'.{zone}'.length).toLowerCase();
}

function compile(template: string, zone: string): CompiledTemplate {
  const relative = relativeTemplate(template);
  // Literal text and placeholder names alternate: [text, key, text, key, …, text].
  const parts = template.replace('{zone}', zone).split(PLACEHOLDER);
  const toRegex = (part: string) =>
    escapeRegex(part).replace(/\\\{(node|licence)\\\}/g, (_m, key: string) => `(?<${key}>[a-z0-9-]+)`);
  const labels = relative.split('.');
  return {
    fill: (licence, node) => {
      let name = parts[0]!;
      for (let i = 1; i < parts.length; i += 2) name += (parts[i] === 'node' ? node : licence) + parts[i + 1];
      return name;
    },
    regex: new RegExp(`^${toRegex(relative)}$`),
    // Each proper suffix of the template is an ancestor name that exists when the name does.
    suffixPattern: labels.slice(1).map((_, i) => new RegExp(`^${toRegex(labels.slice(i + 1).join('.'))}$`)),
  };
}

/**
 * Names of one zone.
 *
 * ```ts
 * const names = new ZoneNames('example.test', SEED_TEMPLATES);
 * names.nodeNames('1234', 'nur1').internal; // 'i-nur1.pl-1234.example.test'
 * names.parse('I-NUR1.pl-1234.example.test.'); // { kind: 'internal', licence: '1234', node: 'nur1' }
 * ```
 */
export class ZoneNames {
  readonly zone: string;
  readonly templates: NameTemplates;
  readonly #internal: CompiledTemplate;
  readonly #external: CompiledTemplate;
  readonly #apps: CompiledTemplate;
  readonly #relay: CompiledTemplate | undefined;

  constructor(zone: string, templates: NameTemplates) {
    this.zone = normalizeName(zone);
    if (!isValidHostName(this.zone)) throw new Error(`invalid zone name: ${zone}`);
    this.templates = templates;
    this.#internal = compile(templates.internal, this.zone);
    this.#external = compile(templates.external, this.zone);
    this.#apps = compile(templates.apps, this.zone);
    this.#relay = templates.relay ? compile(templates.relay, this.zone) : undefined;
  }

  nodeNames(licence: string, node: string): NodeNames {
    const relay = this.relayName(licence, node);
    return {
      external: this.#external.fill(licence, node),
      internal: this.#internal.fill(licence, node),
      ...(relay ? { relay } : {}),
    };
  }

  /**
   * The node's relay name, when the relay is on and the name is a valid host name that reads back
   * as this node (with hyphens in both labels a template such as `relay-{node}-pl-{licence}` can
   * be ambiguous: such a node simply has no relay name).
   */
  relayName(licence: string, node: string): string | undefined {
    if (!this.#relay) return undefined;
    const name = this.#relay.fill(licence, node);
    const back = isValidHostName(name) ? this.parse(name) : undefined;
    return back?.kind === 'relay' && back.licence === licence && back.node === node ? name : undefined;
  }

  appsName(licence: string): string {
    return this.#apps.fill(licence, '');
  }

  /**
   * Why a (licence, node) pair cannot be enrolled, or undefined when it can: both names must be
   * valid host names, and the external name must not read as another node's internal name.
   */
  rejectNodeLabels(licence: string, node: string): string | undefined {
    if (!isValidLabel(licence)) return `licence "${licence}" is not a DNS label (letters, digits, inner hyphens, 1-63)`;
    if (!isValidLabel(node)) return `node "${node}" is not a DNS label (letters, digits, inner hyphens, 1-63)`;
    const names = this.nodeNames(licence, node);
    for (const name of [names.external, names.internal, this.appsName(licence)]) {
      if (!isValidHostName(name))
        return `name "${name}" would not be a valid host name (labels up to 63, name up to 253)`;
    }
    if (this.parse(names.external)?.kind === 'internal') {
      return `node "${node}" would make its external name look like the internal name of another node`;
    }
    return undefined;
  }

  /** The node a name belongs to, if the name is one of the node templates. */
  parse(name: string): { kind: NameKind; licence: string; node: string } | undefined {
    const labels = relativeLabels(name, this.zone);
    if (!labels || labels.length === 0) return undefined;
    const relative = labels.join('.');
    for (const [kind, template] of [
      ['internal', this.#internal],
      ['external', this.#external],
      ['relay', this.#relay],
    ] as const) {
      const m = template?.regex.exec(relative);
      if (m?.groups?.node && m.groups.licence) return { kind, licence: m.groups.licence, node: m.groups.node };
    }
    return undefined;
  }

  /** The licence whose app-store name this is. */
  parseApps(name: string): string | undefined {
    const labels = relativeLabels(name, this.zone);
    return labels && labels.length > 0 ? this.#apps.regex.exec(labels.join('.'))?.groups?.licence : undefined;
  }

  /**
   * For a name that is an ancestor of template names (`pl-1234`, `apps`): the licence it needs
   * (or null when it needs none). Such names exist without records of their own (RFC 8020: they
   * answer NODATA, not NXDOMAIN).
   */
  parseAncestor(name: string): { licence: string | null; of: 'node' | 'apps' } | undefined {
    const labels = relativeLabels(name, this.zone);
    if (!labels || labels.length === 0) return undefined;
    const relative = labels.join('.');
    const templates = [
      ['node', this.#external],
      ['node', this.#internal],
      ['apps', this.#apps],
      ...(this.#relay ? [['node', this.#relay] as const] : []),
    ] as const;
    for (const [of, t] of templates) {
      for (const p of t.suffixPattern) {
        const m = p.exec(relative);
        if (m) return { licence: m.groups?.licence ?? null, of };
      }
    }
    return undefined;
  }
}
