// Posting a probe result to the manager with the node's own credential, so support sees which
// networks and resolvers let the internal name through. fetch only: any runtime.
import type { ProbeResult } from './probe.ts';

export interface ProbeReportBody {
  result: ProbeResult;
  /** The box's hairpin self-test: true, false, or null when not run (the agent fills it). */
  hairpins?: boolean | null;
  /** What the node knows of its network when the manager's runtime cannot tell (no request.cf). */
  network?: { asn?: number; organisation?: string; label?: string };
}

/**
 * ```ts
 * await postProbeReport('https://manager.example.net', '1234', 'nur1', credential, { result, hairpins: null });
 * ```
 */
export async function postProbeReport(
  manager: string,
  licence: string,
  node: string,
  credential: string,
  body: ProbeReportBody,
  fetchImpl: typeof fetch = fetch,
): Promise<{ id: string }> {
  const url = new URL(
    `/v1/licences/${encodeURIComponent(licence)}/nodes/${encodeURIComponent(node)}/probe-reports`,
    manager,
  );
  const res = await fetchImpl(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`probe report to ${url.href}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as { id: string };
}
