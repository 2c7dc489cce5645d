// The probe's portable core under Deno (UDP needs --unstable-net there).
import { describe } from 'vitest';
import { denoTestFile } from '../support/deno.ts';

describe('probe core under Deno', () => {
  denoTestFile('probe/portable.deno.ts', 4, ['--unstable-net']);
});
