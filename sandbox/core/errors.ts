// A typed error a sandbox server renders faithfully, in the real service's wire format (status, headers, body).
// Every error a server can return is built by that service's catalog (e.g. sandbox/identity/errors.ts,
// sandbox/resources/*/errors.ts) as a SandboxError; anything else that escapes a handler is a bug and becomes a
// plain 500 (docs/design.md "One error boundary per server").

export interface ErrorBody {
  contentType: string;
  text: string;
}

export class SandboxError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: ErrorBody | undefined;

  constructor(status: number, body?: ErrorBody, headers: Record<string, string> = {}, message?: string) {
    super(message ?? `sandbox error ${status}`);
    this.name = 'SandboxError';
    this.status = status;
    this.body = body;
    this.headers = headers;
  }

  static json(status: number, value: unknown, headers: Record<string, string> = {}): SandboxError {
    return new SandboxError(
      status,
      { contentType: 'application/json; charset=utf-8', text: JSON.stringify(value) },
      headers,
    );
  }

  static xml(status: number, xml: string, headers: Record<string, string> = {}): SandboxError {
    return new SandboxError(status, { contentType: 'application/xml', text: xml }, headers);
  }
}

/** The Retry-After header of a throttling fault, when one was given. */
export function retryAfter(seconds: number | undefined): Record<string, string> {
  return seconds === undefined ? {} : { 'retry-after': String(seconds) };
}
