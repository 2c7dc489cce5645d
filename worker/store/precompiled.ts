// Kysely's builder costs more than SQLite's own work on the hot paths (a report, a DNS cache
// miss): each call builds, freezes and visits an operation tree to produce the same SQL. A
// precompiled query is built once with placeholder values and then only gets new parameters.
import type { Compilable, CompiledQuery } from 'kysely';

const SLOT = '\u0000slot:';

/**
 * Compile `build` once with a placeholder for each field of its argument, and return a function
 * that fills the same SQL with new values. Parameters that are not placeholders (constants the
 * builder wrote) keep their value. The builder must not branch on the values: it only ever sees
 * the placeholders.
 *
 * ```ts
 * const byLicence = precompile((p: { licence: string }) => db.selectFrom('nodes').selectAll().where('licence', '=', p.licence));
 * await db.executeQuery(byLicence({ licence: '1234' }));
 * ```
 */
export function precompile<P extends Record<string, unknown>, R>(
  build: (params: P) => Compilable<R>,
): (params: P) => CompiledQuery<R> {
  const slots = new Proxy({}, { get: (_target, key) => `${SLOT}${String(key)}` }) as P;
  const compiled = build(slots).compile();
  const fill = compiled.parameters.map((value): ((params: P) => unknown) => {
    if (typeof value === 'string' && value.startsWith(SLOT)) {
      const key = value.slice(SLOT.length);
      return (params) => params[key];
    }
    return () => value;
  });
  return (params) => ({ ...compiled, parameters: fill.map((f) => f(params)) });
}
