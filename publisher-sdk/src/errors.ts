import type { ValidationProblem } from '@sse-gateway/schemas';

export type { ValidationProblem };

/** Base class of every error the publisher rejects with. */
export class PublisherError extends Error {
  override name = 'PublisherError';
}

/**
 * The event(s) were not sent: `errors` lists every problem, each with a JSON pointer into what
 * was passed to `publish` (`/data/status`) or `publishMany` (`/3/data/status`).
 */
export class EventValidationError extends PublisherError {
  override name = 'EventValidationError';
  constructor(readonly errors: readonly ValidationProblem[]) {
    super(`invalid event: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
  }
}

/** No answer within `timeoutMs`. The event may or may not have been stored. */
export class PublishTimeoutError extends PublisherError {
  override name = 'PublishTimeoutError';
  constructor(readonly timeoutMs: number, detail?: string) {
    super(`publish timed out after ${timeoutMs} ms${detail ? `: ${detail}` : ''} (the event may not have been stored)`);
  }
}

/** The transport failed (Redis unreachable, connection lost, gateway error). The event was not confirmed stored. */
export class TransportError extends PublisherError {
  override name = 'TransportError';
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/** The gateway refused the token (401) or its publish rights (403). HTTP transport only. */
export class PublishAuthError extends PublisherError {
  override name = 'PublishAuthError';
  constructor(readonly status: 401 | 403, message: string) {
    super(message);
  }
}

/** `publish` after `close()`. */
export class PublisherClosedError extends PublisherError {
  override name = 'PublisherClosedError';
  constructor() {
    super('the publisher is closed');
  }
}
