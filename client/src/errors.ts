// What `on('error')` receives. Fatal errors come with state `closed`; the others say why the
// client is reconnecting, and when.

/**
 * - `unauthorized`: the gateway refused a fresh token too (401), or `token()` failed. Fatal.
 * - `forbidden`: the token may not subscribe to a channel (403). Fatal.
 * - `bad_request`: the gateway refused the request itself (400: channel name, too many channels,
 *   malformed cursor; or another 4xx). Fatal: retrying the same request cannot help.
 * - `unavailable`: 429, 5xx or a refused `EventSource`; retried after `Retry-After` or a backoff.
 * - `network`: no answer, a dropped or silent stream, an oversized event; retried after a backoff.
 */
export type StreamErrorCode = 'unauthorized' | 'forbidden' | 'bad_request' | 'unavailable' | 'network';

export interface StreamErrorDetails {
  /** True when the stream stopped for good (state `closed`). */
  fatal: boolean;
  /** The HTTP status, when the gateway answered. */
  status?: number;
  /** The gateway's own error code (`bad_cursor`, `too_many_connections`, …), when it gave one. */
  gatewayCode?: string;
  /** When the next attempt starts, for errors that are retried. */
  retryInMs?: number;
  cause?: unknown;
}

export class StreamError extends Error implements StreamErrorDetails {
  override readonly name = 'StreamError';
  readonly fatal: boolean;
  readonly status?: number;
  readonly gatewayCode?: string;
  retryInMs?: number;

  constructor(
    readonly code: StreamErrorCode,
    message: string,
    details: StreamErrorDetails,
  ) {
    super(message, { cause: details.cause });
    this.fatal = details.fatal;
    this.status = details.status;
    this.gatewayCode = details.gatewayCode;
    this.retryInMs = details.retryInMs;
  }
}
