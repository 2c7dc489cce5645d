// Errors that become HTTP answers: one class, RFC 9457 problem+json, with a stable type from the
// registry in contract/problem.ts. Callers and tests branch on the type, never on the wording.
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type FieldError, PROBLEM_MEDIA_TYPE, PROBLEMS, type ProblemType, problemBody } from '../contract/problem.ts';

export class ProblemError extends Error {
  readonly type: ProblemType;
  readonly status: ContentfulStatusCode;
  readonly errors: FieldError[] | undefined;

  constructor(type: ProblemType, detail: string, errors?: FieldError[]) {
    super(detail);
    this.type = type;
    this.status = PROBLEMS[type][0] as ContentfulStatusCode;
    this.errors = errors;
  }

  /** The RFC 9457 body, also what the Node entry writes itself where no Response exists yet. */
  toBody(instance?: string): string {
    return JSON.stringify(
      problemBody(this.type, this.message, {
        ...(instance ? { instance } : {}),
        ...(this.errors ? { errors: this.errors } : {}),
      }),
    );
  }

  toResponse(instance?: string): Response {
    return new Response(this.toBody(instance), {
      status: this.status,
      headers: { 'content-type': PROBLEM_MEDIA_TYPE, ...(this.status === 401 ? { 'www-authenticate': 'Bearer' } : {}) },
    });
  }
}
