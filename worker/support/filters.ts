// The support page's filters and sort order, read from its query string and written back into
// its links: the page is plain links and one GET form, so every view has a URL support can share.
import { isVerdict, type Verdict } from '../../contract/verdicts.ts';
import { ProblemError } from '../problem.ts';

/** What the grid and the charts can be sorted by. */
export const SORT_KEYS = [
  'reports',
  'resolved',
  'filtered',
  'timeout',
  'other',
  'hairpins',
  'verdict',
  'network',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** The periods the form offers, in days (0: all time). Any whole number up to MAX_DAYS is taken. */
export const PERIODS = [0, 7, 30, 90, 365] as const;
const MAX_DAYS = 3660;

export interface SupportFilters {
  /** A network key (`AS3215`, `label:free`, `unknown`), or undefined for every ISP. */
  isp: string | undefined;
  /** Only networks and resolvers that saw this verdict, sorted by its share. */
  verdict: Verdict | undefined;
  days: number;
  sort: SortKey;
  order: 'asc' | 'desc';
}

function invalid(message: string): never {
  throw new ProblemError('invalid-request', message);
}

/** An empty field (a form sends `isp=` for "all") means the filter is off. */
function field(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name)?.trim();
  return value ? value : undefined;
}

export function parseFilters(query: URLSearchParams): SupportFilters {
  const isp = field(query, 'isp');
  if (isp !== undefined && isp.length > 120) invalid('"isp" must be a network key such as AS3215 or label:free');
  const verdict = field(query, 'verdict');
  if (verdict !== undefined && !isVerdict(verdict))
    invalid(`"verdict" must be a verdict code (got ${JSON.stringify(verdict.slice(0, 40))})`);
  const daysText = field(query, 'days') ?? '0';
  const days = Number(daysText);
  if (!/^\d{1,4}$/.test(daysText) || days > MAX_DAYS)
    invalid(`"days" must be a whole number from 0 (all time) to ${MAX_DAYS}`);
  const sortText = field(query, 'sort') ?? (verdict ? 'verdict' : 'reports');
  if (!(SORT_KEYS as readonly string[]).includes(sortText)) invalid(`"sort" must be one of ${SORT_KEYS.join(', ')}`);
  const sort = sortText as SortKey;
  if (sort === 'verdict' && !verdict) invalid('"sort=verdict" needs a "verdict" filter');
  const orderText = field(query, 'order') ?? defaultOrder(sort);
  if (orderText !== 'asc' && orderText !== 'desc') invalid('"order" must be asc or desc');
  return { isp, verdict: verdict as Verdict | undefined, days, sort, order: orderText };
}

/** Names read A to Z; counts and shares biggest first. */
export function defaultOrder(sort: SortKey): 'asc' | 'desc' {
  return sort === 'network' ? 'asc' : 'desc';
}

/** The page's URL for these filters, defaults left out. */
export function supportHref(filters: SupportFilters): string {
  const query = new URLSearchParams();
  if (filters.isp) query.set('isp', filters.isp);
  if (filters.verdict) query.set('verdict', filters.verdict);
  if (filters.days) query.set('days', String(filters.days));
  if (filters.sort !== (filters.verdict ? 'verdict' : 'reports')) query.set('sort', filters.sort);
  if (filters.order !== defaultOrder(filters.sort)) query.set('order', filters.order);
  const text = query.toString();
  return text ? `/support?${text}` : '/support';
}

/** A column header's link: sort by it, or flip the order when it already sorts. */
export function sortHref(filters: SupportFilters, sort: SortKey): string {
  const order = filters.sort === sort ? (filters.order === 'asc' ? 'desc' : 'asc') : defaultOrder(sort);
  return supportHref({ ...filters, sort, order });
}
