// Every error the gateway answers with, in one catalogue: a stable code, its HTTP status, and
// whether its message is safe to show. Routes throw GatewayError; app.ts maps it to
// `{ "error": { "code", "message" } }` in one place. Messages never contain a token.

interface ErrorSpec {
  status: number;
  /** Extra response headers (WWW-Authenticate, Retry-After). */
  headers?: Record<string, string>;
}

export const ERRORS = {
  no_channel: { status: 400 },
  bad_channel: { status: 400 },
  too_many_channels: { status: 400 },
  bad_cursor: { status: 400 },
  invalid_event: { status: 400 },
  bad_request: { status: 400 },
  unauthorized: { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } },
  invalid_token: { status: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } },
  forbidden: { status: 403 },
  not_found: { status: 404 },
  /** Headers or body not received within REQUEST_TIMEOUT_MS; the connection is closed after it. */
  request_timeout: { status: 408, headers: { Connection: 'close' } },
  payload_too_large: { status: 413 },
  headers_too_large: { status: 431 },
  unsupported_media_type: { status: 415 },
  too_many_connections_for_subject: { status: 429, headers: { 'Retry-After': '5' } },
  too_many_connections: { status: 503, headers: { 'Retry-After': '5' } },
  draining: { status: 503, headers: { 'Retry-After': '1' } },
  bus_unavailable: { status: 503, headers: { 'Retry-After': '2' } },
  /** The JWKS endpoint cannot be reached: a server-side problem, not a bad token. */
  auth_unavailable: { status: 503, headers: { 'Retry-After': '5' } },
  internal: { status: 500 },
} as const satisfies Record<string, ErrorSpec>;

type ErrorCode = keyof typeof ERRORS;

export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra fields of the JSON error body, e.g. validation errors. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    const spec: ErrorSpec = ERRORS[code];
    this.status = spec.status;
    this.headers = spec.headers ?? {};
  }
}

interface ErrorBody {
  error: { code: string; message: string } & Record<string, unknown>;
}

/** The JSON body and status of any thrown value. Unknown errors become a 500 without details. */
export function errorResponse(error: unknown): { status: number; headers: Readonly<Record<string, string>>; body: ErrorBody } {
  if (error instanceof GatewayError) {
    return { status: error.status, headers: error.headers, body: { error: { code: error.code, message: error.message, ...error.details } } };
  }
  return { status: 500, headers: {}, body: { error: { code: 'internal', message: 'internal error' } } };
}
