import type { ValidationProblem } from '@sse-gateway/schemas';
import { clip } from './protocol/clip';

export type { ValidationProblem };

/** Base class of every error the publisher rejects with. */
export class PublisherError extends Error {
  override name = 'PublisherError';
}

/** Problems named in an EventValidationError's message; `errors` has them all. */
const PROBLEMS_IN_MESSAGE = 5;
/** Longest path or message of one problem quoted in a message (paths carry the caller's keys). */
const QUOTED_CHARS = 200;

/**
 * The event(s) were not sent: `errors` lists every problem, each with a JSON pointer into what
 * was passed to `publish` (`/data/status`) or `publishMany` (`/3/data/status`). The message names
 * the first few only, so it stays short however bad the input.
 */
export class EventValidationError extends PublisherError {
  override name = 'EventValidationError';
  constructor(readonly errors: readonly ValidationProblem[]) {
    super(validationMessage(errors));
  }
}

function validationMessage(errors: readonly ValidationProblem[]): string {
  const named = errors.slice(0, PROBLEMS_IN_MESSAGE).map((e) => `${clip(e.path, QUOTED_CHARS)} ${clip(e.message, QUOTED_CHARS)}`);
  const more = errors.length - named.length;
  return `invalid event: ${named.join('; ')}${more > 0 ? `; and ${more} more problem${more === 1 ? '' : 's'}` : ''}`;
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
  constructor(
    message: string,
    cause?: unknown,
    /** Worth trying again with the same idempotency keys (false for an answer that will not change, e.g. HTTP 404). */
    readonly retryable = true,
  ) {
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
