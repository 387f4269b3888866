// A transport opens one stream and reports what it carries until it ends; the link decides what
// happens next. Two: fetch streaming (headers, status codes, every byte) and EventSource (the
// fallback for browsers that cannot stream a fetch body).

interface TransportRequest {
  /** The stream URL, channels and options in its query; never a token, except in EventSource's `access_token` fallback. */
  url: string;
  token: string;
  cursor: string | undefined;
  /** Event types listened to (EventSource must name them). */
  types: () => Iterable<string>;
  maxEventLength: number;
  signal: AbortSignal;
}

export interface TransportHandlers {
  /** The gateway answered 200 with an event stream. */
  open(): void;
  message(type: string | undefined, data: string, id: string | undefined): void;
  /** The gateway's `retry:` hint. */
  retry(ms: number): void;
  /** Bytes arrived, events or heartbeats. */
  alive(): void;
  /** The cursor of the opening block (which carries no event). */
  cursor(id: string): void;
}

export type TransportEnd =
  | { kind: 'http'; status: number; retryAfterMs?: number | undefined; gatewayCode?: string | undefined; message?: string | undefined }
  /** EventSource failed before it opened: the status cannot be known. */
  | { kind: 'refused' }
  /** `beforeResponse`: the request failed before any answer (possibly on a pooled connection the server had just closed). */
  | { kind: 'network'; message: string; beforeResponse?: boolean }
  /** The gateway ended the stream. */
  | { kind: 'ended' };

export type Transport = (request: TransportRequest, handlers: TransportHandlers) => Promise<TransportEnd>;

/** The message of anything thrown. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
