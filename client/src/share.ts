// `share: true`: the tabs of one origin that follow the same url + channels hold one stream
// between them. They queue for a Web Lock named after the subscription; the tab holding it (the
// leader) runs the link and relays every event, cursor, state and error on a BroadcastChannel of
// the same name. When the leader tab closes, the browser hands the lock to the next tab in the
// queue, which opens the stream from the last cursor it was relayed: nothing is lost. Relays of the
// old leader may still be in flight then, so each tab drops an event whose id does not follow the
// last one it delivered on that channel (ids increase within a channel): nothing is repeated.
import type { ClientStream } from './client-stream.js';
import { StreamError, type StreamErrorCode, type StreamErrorDetails } from './errors.js';
import type { Link, LinkSink } from './link.js';
import type { Envelope, StreamState } from './types.js';

type Relay =
  | { k: 'event'; type: string; envelope: Envelope; cursor: string | undefined }
  | { k: 'cursor'; cursor: string }
  | { k: 'state'; state: StreamState }
  | { k: 'error'; code: StreamErrorCode; message: string; details: StreamErrorDetails }
  /** A new tab asks the leader where things stand. */
  | { k: 'hello' };

/** True where tabs can share: Web Locks and BroadcastChannel. */
export const canShare = (): boolean => typeof navigator !== 'undefined' && navigator.locks !== undefined && typeof BroadcastChannel !== 'undefined';

/** Feeds `stream` from the tab that holds the lock `key`; `startLink` runs when this tab becomes it. */
export function share(stream: ClientStream, key: string, startLink: (lastEventId: string | undefined, sink: LinkSink) => Link): void {
  const channel = new BroadcastChannel(key);
  const release = new AbortController();
  const lastIds = new Map<string, string>();
  let link: Link | undefined;

  const post = (relay: Relay): void => {
    if (stream.state !== 'closed') channel.postMessage(relay);
  };
  const setState = (state: StreamState): void => {
    // A leader that took over before its own first stream opened says `connecting`: to a tab that
    // was open already, that is reconnecting.
    stream.setState(state === 'connecting' && stream.state !== 'connecting' ? 'reconnecting' : state);
  };
  const deliver = (type: string, envelope: Envelope, cursor: string | undefined): boolean => {
    if (!follows(lastIds, envelope)) return false;
    stream.dispatch(type, envelope, cursor);
    return true;
  };

  channel.onmessage = ({ data }: MessageEvent<Relay>) => {
    if (link !== undefined) {
      if (data.k === 'hello') {
        post({ k: 'state', state: stream.state });
        if (link.cursor !== undefined) post({ k: 'cursor', cursor: link.cursor });
      }
      return;
    }
    if (data.k === 'event') deliver(data.type, data.envelope, data.cursor);
    else if (data.k === 'cursor') stream.cursor = data.cursor;
    else if (data.k === 'state') setState(data.state);
    else if (data.k === 'error') {
      stream.error(new StreamError(data.code, data.message, data.details));
      if (data.details.fatal) stream.close(); // the same user, the same answer: no point asking again
    }
  };

  const lead = (): Promise<void> | undefined => {
    // The old leader's stream is gone and this tab's is not open yet: this tab and the others are
    // between two streams (the link reports no state until its stream opens).
    if (stream.state === 'open') stream.setState('reconnecting');
    if (stream.state === 'closed') return undefined; // now, or by a `state` handler just now
    post({ k: 'state', state: stream.state });
    link = startLink(stream.cursor, {
      deliver(type, envelope, cursor) {
        if (deliver(type, envelope, cursor)) post({ k: 'event', type, envelope, cursor });
      },
      cursor(cursor) {
        stream.cursor = cursor;
        post({ k: 'cursor', cursor });
      },
      state(state) {
        stream.setState(state);
        if (state !== 'closed') post({ k: 'state', state: stream.state });
      },
      error(error) {
        post({ k: 'error', code: error.code, message: error.message, details: { fatal: error.fatal, status: error.status, gatewayCode: error.gatewayCode, retryInMs: error.retryInMs } });
        stream.error(error);
      },
    });
    // Held until this tab's stream closes (or the tab does).
    return new Promise((resolve) => release.signal.addEventListener('abort', () => resolve()));
  };

  stream.stop = () => {
    link?.close();
    release.abort();
    channel.close();
  };
  // Rejects with an AbortError when the stream closes while still waiting in the queue.
  navigator.locks.request(key, { signal: release.signal }, lead).catch(() => undefined);
  post({ k: 'hello' });
}

/** Whether `envelope` comes after the last event delivered on its channel (and records it). */
function follows(lastIds: Map<string, string>, envelope: Envelope): boolean {
  const { channel, id } = envelope;
  if (typeof channel !== 'string' || typeof id !== 'string') return true; // control notices have no id
  const last = lastIds.get(channel);
  if (last !== undefined && compareIds(id, last) <= 0) return false;
  lastIds.set(channel, id);
  return true;
}

/** Orders stream ids `<ms>-<seq>` (digit strings of any length, no leading zeros). */
export function compareIds(a: string, b: string): number {
  const [am = '', as = ''] = a.split('-');
  const [bm = '', bs = ''] = b.split('-');
  return compareDigits(am, bm) || compareDigits(as, bs);
}

const compareDigits = (a: string, b: string): number => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
