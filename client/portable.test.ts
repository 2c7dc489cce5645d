// The client's portable suite under Deno.
import { describe } from 'vitest';
import { denoTestFile } from '../test/support/deno.ts';

describe('portable suite under Deno', () => {
  denoTestFile('client/portable.deno.ts', 4);
});
