// One logical subscription over a succession of streams: opens one, follows it, and decides what
// comes next — reopen with the cursor (after a backoff, a `Retry-After`, at once for a fresh
// token), or stop for good. At most one stream is open at a time; each resumes from the cursor of
// the last event received, so nothing is lost or repeated between them.
import { StreamError, type StreamErrorCode } from './errors.js';
import { backoff, MAX_BACKOFF_MS } from './retry.js';
import { refreshDelay } from './token.js';
import { messageOf, type Transport, type TransportEnd, type TransportHandlers } from './transport.js';
import type { Envelope, StreamState } from './types.js';

interface LinkOptions {
  /** The stream URL with its query. */
  url: string;
  token: () => Promise<string> | string;
  lastEventId: string | undefined;
  transport: Transport;
  /** Reopen a stream silent for this long; 0: never (EventSource hides heartbeats). */
  idleMs: number;
  maxEventLength: number;
  types: () => Iterable<string>;
}

export interface LinkSink {
  /** An event, or a `gateway.gap` notice, with the cursor that follows it. */
  deliver(type: string, envelope: Envelope, cursor: string | undefined): void;
  /** The cursor moved without an event (a stream's opening block). */
  cursor(cursor: string): void;
  state(state: StreamState): void;
  error(error: StreamError): void;
}

/** Until the gateway says otherwise with `retry:`, the base of the backoff. */
const DEFAULT_RETRY_MS = 1000;

export class Link {
  cursor: string | undefined;
  private state: StreamState = 'connecting';
  private token: string | undefined;
  /** Set once a fresh token was fetched because the gateway refused one; cleared when a stream opens. */
  private refreshed = false;
  private failures = 0;
  private retryMs = DEFAULT_RETRY_MS;
  /** The current attempt's; aborting it ends that stream. */
  private attempt: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private lastByteAt = 0;
  /**
   * Set when the gateway ended the last stream itself: the response was complete, so the HTTP
   * client may send the next request on the same connection while the gateway is closing it.
   */
  private mayReuseClosing = false;

  constructor(
    private readonly options: LinkOptions,
    private readonly sink: LinkSink,
  ) {
    this.cursor = options.lastEventId;
    onNetwork('online', this.online);
    onNetwork('offline', this.offline);
    // Not before the caller added its handlers: even a token() that fails at once is heard.
    queueMicrotask(() => void this.open());
  }

  close(): void {
    if (this.state === 'closed') return;
    this.stop();
    offNetwork('online', this.online);
    offNetwork('offline', this.offline);
    this.setState('closed');
  }

  private async open(): Promise<void> {
    if (this.state === 'closed' || isOffline()) return; // `online` calls again
    const attempt = (this.attempt = new AbortController());
    const { signal } = attempt;
    let token: string;
    try {
      token = this.token ??= await this.options.token();
      if (typeof token !== 'string' || token === '') throw new TypeError('token() did not return a string');
    } catch (error) {
      if (!signal.aborted) this.fatal('unauthorized', `token() failed: ${messageOf(error)}`, { cause: error });
      return;
    }
    if (signal.aborted) return;
    // From the request on, not from the answer: a gateway that never answers is given up too.
    this.lastByteAt = Date.now();
    if (this.options.idleMs > 0) this.watchIdle(signal);
    const { url, types, maxEventLength, transport } = this.options;
    const end = await transport({ url, token, cursor: this.cursor, types, maxEventLength, signal }, this.handlers(token, signal)).catch(
      (error: unknown): TransportEnd => ({ kind: 'network', message: messageOf(error) }),
    );
    if (signal.aborted) return; // whoever aborted it decided what comes next
    this.stop();
    this.ended(end);
  }

  private handlers(token: string, signal: AbortSignal): TransportHandlers {
    return {
      open: () => this.opened(token, signal),
      message: (type, data, id) => this.message(type, data, id),
      retry: (ms) => (this.retryMs = Math.min(Math.max(ms, 100), MAX_BACKOFF_MS)),
      alive: () => (this.lastByteAt = Date.now()),
      cursor: (id) => {
        this.cursor = id;
        this.sink.cursor(id);
      },
    };
  }

  private opened(token: string, signal: AbortSignal): void {
    this.failures = 0;
    this.mayReuseClosing = false;
    this.refreshed = false;
    this.lastByteAt = Date.now();
    this.setState('open');
    if (signal.aborted) return; // closed by a `state` handler
    const refreshIn = refreshDelay(token);
    if (refreshIn !== undefined) this.refreshTimer = setTimeout(() => this.reopen(true), refreshIn);
  }

  /** Reopens a stream that received no answer or no byte (not even a heartbeat) for `idleMs`. */
  private watchIdle(signal: AbortSignal): void {
    const left = this.lastByteAt + this.options.idleMs - Date.now();
    this.timer = setTimeout(() => {
      if (signal.aborted) return;
      if (Date.now() - this.lastByteAt < this.options.idleMs) return this.watchIdle(signal);
      this.stop();
      this.retryLater('network', `no data for ${this.options.idleMs} ms`, {});
    }, left);
  }

  private message(type: string | undefined, data: string, id: string | undefined): void {
    if (type === 'gateway.token_expired') {
      // The stream ends now: one fresh token, and a 401 on it stops the stream.
      this.refreshed = true;
      this.mayReuseClosing = true;
      return this.reopen(true);
    }
    if (id !== undefined) this.cursor = id;
    const envelope = parseEnvelope(data);
    if (envelope !== undefined && type !== undefined && (type === 'gateway.gap' || !type.startsWith('gateway.'))) this.sink.deliver(type, envelope, this.cursor);
  }

  /** Ends the current stream and opens the next at once, with a fresh token when asked. */
  private reopen(freshToken: boolean): void {
    this.stop();
    if (freshToken) this.token = undefined;
    this.setState('reconnecting');
    void this.open();
  }

  private ended(end: TransportEnd): void {
    const stale = this.mayReuseClosing;
    this.mayReuseClosing = end.kind === 'ended';
    if (end.kind === 'ended') return this.retryLater(undefined, '', {});
    // Sent on the connection of the stream that just ended, as the gateway closed it: try again
    // at once on a new one, as browsers do, without calling it an error.
    if (end.kind === 'network' && end.beforeResponse === true && stale) return this.reopen(false);
    if (end.kind === 'network') return this.retryLater('network', end.message, {});
    if (end.kind === 'refused') {
      // EventSource cannot tell a 401 from a 503: try again later, with a fresh token.
      this.token = undefined;
      return this.retryLater('unavailable', 'the gateway refused the stream', {});
    }
    const { status, gatewayCode } = end;
    const message = end.message ?? `the gateway answered ${status}`;
    if (status === 401 && !this.refreshed) {
      this.refreshed = true;
      return this.reopen(true);
    }
    if (status === 401) return this.fatal('unauthorized', message, { status, gatewayCode });
    if (status === 403) return this.fatal('forbidden', message, { status, gatewayCode });
    // 200 without an event stream: something between (a captive portal, a proxy's page) answered.
    if (status === 200 || status === 408 || status === 429 || status >= 500) {
      return this.retryLater('unavailable', status === 200 ? 'the answer was not an event stream' : message, { status, gatewayCode }, end.retryAfterMs);
    }
    this.fatal('bad_request', message, { status, gatewayCode });
  }

  /** Waits (Retry-After plus jitter, or the backoff) and opens the next stream; reports why when there was an error. */
  private retryLater(code: StreamErrorCode | undefined, message: string, details: { status?: number; gatewayCode?: string | undefined }, retryAfterMs?: number): void {
    const delay = retryAfterMs === undefined ? backoff(this.retryMs, this.failures++) : retryAfterMs + Math.random() * this.retryMs;
    this.setState('reconnecting');
    if (this.state === 'closed') return; // by a `state` handler: no timer to outlive it, no error after `closed`
    this.timer = setTimeout(() => void this.open(), delay);
    if (code !== undefined) this.sink.error(new StreamError(code, message, { ...details, fatal: false, retryInMs: Math.round(delay) }));
  }

  private fatal(code: StreamErrorCode, message: string, details: { status?: number; gatewayCode?: string | undefined; cause?: unknown }): void {
    this.stop();
    this.sink.error(new StreamError(code, message, { ...details, fatal: true }));
    this.close();
  }

  /** Ends the current stream or attempt and every timer. */
  private stop(): void {
    this.attempt?.abort();
    this.attempt = undefined;
    clearTimeout(this.timer);
    clearTimeout(this.refreshTimer);
  }

  private setState(state: StreamState): void {
    // Before the first stream opens, a retry is still "connecting".
    const next = state === 'reconnecting' && this.state === 'connecting' ? 'connecting' : state;
    if (next === this.state || this.state === 'closed') return;
    this.state = next;
    this.sink.state(next);
  }

  private readonly online = (): void => {
    if (this.attempt !== undefined || this.state === 'closed') return;
    clearTimeout(this.timer);
    this.failures = 0;
    void this.open();
  };

  private readonly offline = (): void => {
    if (this.state === 'closed') return;
    this.stop();
    this.setState('reconnecting');
  };
}

// navigator.onLine and its events exist in browsers; in Node the network is taken as always there.
const isOffline = (): boolean => typeof navigator !== 'undefined' && navigator.onLine === false;
const onNetwork = (type: string, listener: () => void): void => globalThis.addEventListener?.(type, listener);
const offNetwork = (type: string, listener: () => void): void => globalThis.removeEventListener?.(type, listener);

/** The envelope of a `data:` line, or undefined when it is not a JSON object (nothing a handler could use). */
function parseEnvelope(data: string): Envelope | undefined {
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === 'object' && value !== null ? (value as Envelope) : undefined;
  } catch {
    return undefined;
  }
}
