// Publishes through a gateway's `POST /v1/publish` with Node's global fetch. The events were
// validated by the publisher already; the gateway validates them again with the same code, and
// its answers map to the same error classes as the Redis transport's. The token is sent only in
// the Authorization header and never appears in an error.
import { EventValidationError, PublishAuthError, TransportError, type ValidationProblem } from '../errors';
import type { PreparedEvent } from '../protocol/validate';
import type { StoreResult, Transport } from './transport';
import { urlOption } from '../url-option';

interface HttpTransportOptions {
  /** The gateway's base URL, e.g. `http://localhost:8080` (a path prefix is kept: `https://host/sse/`). */
  gatewayUrl: string;
  /** A JWT whose `sse.publish` covers the channels. */
  token: string;
}

/** The part of the gateway's error body this transport reads: `{ "error": { "code", "message", "errors"? } }`. */
interface GatewayErrorBody {
  code?: unknown;
  message?: unknown;
  errors?: unknown;
}

/** Publishes through a gateway's `POST /v1/publish`. */
export function httpTransport(options: HttpTransportOptions): Transport {
  const endpoint = publishEndpoint(options.gatewayUrl);
  if (typeof options.token !== 'string' || options.token.trim() === '') throw new RangeError('token must be a non-empty string (a JWT)');
  const authorization = `Bearer ${options.token.trim()}`;
  const where = `the gateway at ${endpoint.origin}`;
  // close() aborts what is still in flight.
  const closing = new AbortController();
  let lastFailure: string | undefined;

  return {
    async store(events, deadline) {
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json' },
          body: requestBody(events),
          signal: AbortSignal.any([deadline, closing.signal]),
        });
      } catch (error) {
        // Aborted at the deadline: the gateway did not answer in time, which says nothing of whether it is reachable.
        if (deadline.aborted) throw new TransportError(`no reply from ${where}`, error);
        lastFailure = `${where} is unreachable (${causeOf(error)})`;
        throw new TransportError(lastFailure, error);
      }
      lastFailure = undefined;
      return readAnswer(response, events.length, where);
    },
    diagnose() {
      return lastFailure ?? `no reply from ${where}`;
    },
    async close() {
      closing.abort();
    },
  };
}

/** `<base>/v1/publish`; a bad base URL is refused at construction, without echoing it (it may hold credentials). */
function publishEndpoint(gatewayUrl: string): URL {
  const base = urlOption(gatewayUrl, 'gatewayUrl', ['http:', 'https:'], 'http://host:port or https://host[/prefix]');
  if (base.username !== '' || base.password !== '') throw new RangeError('gatewayUrl must not carry credentials: the token authenticates');
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return new URL('v1/publish', base);
}

/** The batch as the gateway reads it, reusing each event's serialised data (no second JSON.stringify of it). */
function requestBody(events: readonly PreparedEvent[]): string {
  const parts = events.map((event) => {
    const ttl = event.idempotencyTtlS === undefined ? '' : `,"idempotencyTtlS":${event.idempotencyTtlS}`;
    const key = event.idempotencyKey === undefined ? '' : `,"idempotencyKey":${JSON.stringify(event.idempotencyKey)}${ttl}`;
    const retain = event.retain ? ',"retain":true' : '';
    return `{"channel":${JSON.stringify(event.channel)},"type":${JSON.stringify(event.type)},"data":${event.dataJson}${key}${retain}}`;
  });
  return `[${parts.join(',')}]`;
}

/** Answers worth trying again with the same keys: the gateway may store the events next time. */
const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

async function readAnswer(response: Response, count: number, where: string): Promise<StoreResult> {
  const body = await response.json().catch(() => undefined);
  if (response.status === 202) return { ids: idsOf(body, count, where), duplicates: duplicatesOf(body, count) };
  const error = errorOf(body);
  const message = typeof error.message === 'string' ? error.message : `HTTP ${response.status}`;
  switch (response.status) {
    case 400:
    case 413:
      // Oversize is a validation error, as when the publisher finds it itself. Paths refer to
      // the request body, which is always an array: `/0/data/status`.
      throw new EventValidationError(problemsOf(error.errors) ?? [{ path: '/', message }]);
    case 401:
    case 403:
      throw new PublishAuthError(response.status, `${where} refused the token (${response.status}): ${message}`);
    default:
      throw new TransportError(`${where} answered ${response.status}: ${message}`, undefined, RETRYABLE_STATUSES.has(response.status));
  }
}

/** The `duplicates` of a 202 (indexes), or none when the gateway does not send them. */
function duplicatesOf(body: unknown, count: number): number[] {
  const duplicates = (body as { duplicates?: unknown } | undefined)?.duplicates;
  if (!Array.isArray(duplicates)) return [];
  return duplicates.filter((index): index is number => Number.isSafeInteger(index) && index >= 0 && index < count);
}

function idsOf(body: unknown, count: number, where: string): string[] {
  const ids = (body as { ids?: unknown } | undefined)?.ids;
  if (Array.isArray(ids) && ids.length === count && ids.every((id) => typeof id === 'string')) return ids as string[];
  throw new TransportError(`${where} answered 202 without ${count} id(s)`);
}

function errorOf(body: unknown): GatewayErrorBody {
  const error = (body as { error?: unknown } | undefined)?.error;
  return typeof error === 'object' && error !== null ? (error as GatewayErrorBody) : {};
}

function problemsOf(errors: unknown): ValidationProblem[] | undefined {
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  return errors.map((problem) => {
    const { path, message } = (problem ?? {}) as { path?: unknown; message?: unknown };
    return { path: typeof path === 'string' ? path : '/', message: typeof message === 'string' ? message : String(message) };
  });
}

/** The network error's own reason (ECONNREFUSED…): fetch wraps it in a generic "fetch failed". */
function causeOf(error: unknown): string {
  if (error instanceof Error && error.name === 'AbortError') return 'aborted';
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
