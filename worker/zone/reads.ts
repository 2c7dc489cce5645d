// What one answer read from storage, so that a cached answer can be dropped exactly when what it
// was built from changes: a node's row (its addresses, its ACME values) or the serial (the SOA of
// the apex and of every negative answer).
import type { ZoneSource } from './answer.ts';

/** The tag of one node's data: its addresses and its `_acme-challenge` values. */
export const nodeTag = (licence: string, node: string): string => `n ${licence} ${node}`;

/** The tags an answer depends on, and whether it carries the serial. */
export interface Reads {
  tags: string[];
  serial: boolean;
}

/**
 * A source that notes every read into `reads`, answering through `source`; `serial`, when given,
 * is the serial known to be current (the zone watch's, just followed), saving its read.
 *
 * ```ts
 * const reads: Reads = { tags: [], serial: false };
 * const answer = await zone.withSource(recordReads(zone.source, reads)).answer(query);
 * ```
 */
export function recordReads(source: ZoneSource, reads: Reads, serial?: number): ZoneSource {
  const recorded: ZoneSource = {
    serial: () => {
      reads.serial = true;
      return serial ?? source.serial();
    },
    getNode: (licence, node) => {
      reads.tags.push(nodeTag(licence, node));
      return source.getNode(licence, node);
    },
    // Whether a licence has nodes changes only with an enrolment or a deletion, which empty the
    // whole cache: nothing to tag.
    licenceHasNodes: (licence) => source.licenceHasNodes(licence),
  };
  const challenges = source.acmeChallenges?.bind(source);
  if (challenges)
    recorded.acmeChallenges = (licence, node, kind) => {
      reads.tags.push(nodeTag(licence, node));
      return challenges(licence, node, kind);
    };
  return recorded;
}
