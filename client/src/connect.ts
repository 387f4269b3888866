// connect(): checks the options, builds the stream URL, picks the transport, and feeds a stream
// from a link of its own or, with `share`, from the tab that holds the shared one.
import { ClientStream } from './client-stream.js';
import { eventSourceTransport } from './event-source-transport.js';
import { fetchTransport } from './fetch-transport.js';
import { Link, type LinkSink } from './link.js';
import { canShare, share } from './share.js';
import type { BundledEvents, ConnectOptions, EventMap, Stream } from './types.js';

/** The gateway's default HEARTBEAT_MS (the client cannot import it: it depends on no other package). */
export const DEFAULT_HEARTBEAT_MS = 15_000;
/** A stream silent for this many heartbeat periods is taken for dead. */
const IDLE_PERIODS = 3;
const DEFAULT_MAX_EVENT_LENGTH = 1 << 20;

/**
 * Follows `channels` on the gateway at `url` until `close()`. Bundled event types are typed;
 * pass your own as `connect<{ 'order.shipped': OrderShipped }>(…)`.
 */
export function connect<Custom extends EventMap = {}>(options: ConnectOptions): Stream<BundledEvents & Custom> {
  const { url: base, channels, token } = options;
  if (typeof base !== 'string') throw new TypeError("connect(): `url` must be the gateway's base URL ('' for this page's origin)");
  if (!Array.isArray(channels) || channels.length === 0 || !channels.every((c) => typeof c === 'string' && c !== '')) {
    throw new TypeError('connect(): `channels` must be a non-empty array of channel names');
  }
  if (typeof token !== 'function') throw new TypeError('connect(): `token` must be a function returning a JWT');
  const url = streamUrl(options);
  const eventSource = options.transport === 'eventsource' || (options.transport === undefined && !streamsFetch());
  if (eventSource && typeof EventSource === 'undefined') throw new TypeError('connect(): this runtime has neither a streaming fetch nor EventSource');
  const stream = new ClientStream();
  const startLink = (lastEventId: string | undefined, sink: LinkSink): Link =>
    new Link(
      {
        url,
        token,
        lastEventId,
        transport: eventSource ? eventSourceTransport : fetchTransport,
        idleMs: eventSource ? 0 : IDLE_PERIODS * (options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS),
        maxEventLength: options.maxEventLength ?? DEFAULT_MAX_EVENT_LENGTH,
        types: () => stream.types(),
      },
      sink,
    );
  if (options.share === true && canShare()) {
    share(stream, `sse-gateway ${url}`, (lastEventId, sink) => startLink(lastEventId ?? options.lastEventId, sink));
  } else {
    const link = startLink(options.lastEventId, {
      deliver: (type, envelope, cursor) => stream.dispatch(type, envelope, cursor),
      cursor: (cursor) => (stream.cursor = cursor),
      state: (state) => stream.setState(state),
      error: (error) => stream.error(error),
    });
    stream.stop = () => link.close();
  }
  return stream as unknown as Stream<BundledEvents & Custom>;
}

/** `<url>/v1/stream?channel=…` (channels sorted: the same set is the same stream, and the same shared key). */
function streamUrl(options: ConnectOptions): string {
  const query = [...new Set(options.channels)].sort().map((channel) => `channel=${encodeURIComponent(channel)}`);
  if (options.state === true) query.push('state=1');
  return `${options.url.replace(/\/+$/, '')}/v1/stream?${query.join('&')}`;
}

/** Whether this runtime can read a fetch response body as a stream. */
const streamsFetch = (): boolean => typeof fetch === 'function' && typeof ReadableStream === 'function' && typeof Response === 'function' && 'body' in Response.prototype;
