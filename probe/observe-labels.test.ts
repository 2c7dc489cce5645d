// A response whose question is the asked name with its dots inside one label is another name
// (RFC 5452 §4 wants the question to match): the probe must not take it as the answer.
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../dns/message.ts';
import { observe } from './observe.ts';
import type { DnsTransport } from './transport.ts';

/** A resolver that answers 10.6.6.6 for whatever it is asked, with its question spelled by `question`. */
function forger(question: (asked: string) => Uint8Array): DnsTransport {
  return {
    label: 'forger',
    exchange: async (bytes) => {
      const q = decodeMessage(bytes);
      const asked = q.questions![0]!.name;
      const answer = encodeMessage({
        id: q.id,
        type: 'response',
        flags: 0x8180,
        questions: [],
        answers: [{ type: 'A', name: asked, ttl: 60, data: '10.6.6.6' }],
      });
      const name = question(asked);
      // Header with QDCOUNT 1, the question as given, then the answer section as encoded.
      const header = answer.slice(0, 12);
      header[5] = 1;
      return Uint8Array.from([...header, ...name, 0, 1, 0, 1, ...answer.subarray(12)]);
    },
  };
}

const wireName = (labels: string[]) => Uint8Array.from([...labels.flatMap((l) => [l.length, ...Buffer.from(l)]), 0]);

describe('the probe judges a response question by its real labels', () => {
  it('rejects a question that is the asked name as one label', async () => {
    const seen = await observe(
      forger((asked) => wireName([asked])),
      'i-nur1.pl-1234.example.test',
      'A',
      { attempts: 1, timeoutMs: 500 },
    );
    expect(seen.outcome).toBe('bad-response');
  });

  it('takes the same answer with the question in its real labels', async () => {
    const seen = await observe(
      forger((asked) => wireName(asked.split('.'))),
      'i-nur1.pl-1234.example.test',
      'A',
      { attempts: 1, timeoutMs: 500 },
    );
    expect(seen.outcome).toBe('answer');
    expect(seen.answers.map((r) => r.data)).toEqual(['10.6.6.6']);
  });
});
