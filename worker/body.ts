// Request bodies, read whole but never past a bound. Hono's bodyLimit middleware would do the
// bounding, but it reads `request.body` first, which makes @hono/node-server build a full
// web-streams Request for every call; reading through arrayBuffer() keeps its direct path from the
// socket, a tenth of a report's cost.
import { concatBytes } from '../dns/wire.ts';
import { ProblemError } from './problem.ts';

/** The body's bytes, or a payload-too-large problem saying `tooLarge` once more than `maxBytes` arrive. */
export async function readBoundedBody(request: Request, maxBytes: number, tooLarge: string): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && !request.headers.has('transfer-encoding')) {
    if (Number(declared) > maxBytes) throw new ProblemError('payload-too-large', tooLarge);
    // HTTP parsers hold a body to its declared length, so this read is bounded too.
    return new Uint8Array(await request.arrayBuffer());
  }
  // Chunked: count as the chunks arrive, and stop reading at the bound.
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    size += chunk.value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new ProblemError('payload-too-large', tooLarge);
    }
    chunks.push(chunk.value);
  }
  return concatBytes(chunks, size);
}
