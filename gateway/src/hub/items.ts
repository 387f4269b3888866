// What the hub hands to connections: an event (framed once, shared) or a control notice.
import { parseStreamId, type HistoryEntry, type LiveMessage, type StreamIdParts } from '@sse-gateway/publisher/protocol';
import { eventFrame, type EventBody, type Frame } from '../sse/frame';
import type { ChannelHash } from '../sse/cursor';
import { encodeCursor } from '../sse/cursor';

export interface EventItem extends EventBody {
  readonly kind: 'event';
  readonly id: string;
  readonly idParts: StreamIdParts;
  /** The id of the event before it in its channel (`0-0` for the first). */
  readonly prev: string;
  readonly time: string;
}

/** A gateway control event (`gateway.*`): written with each connection's own cursor. */
export interface NoticeItem extends EventBody {
  readonly kind: 'notice';
}

export type Item = EventItem | NoticeItem;

/** The envelope stays a view into the bus's read buffer: it is framed (copied) at once. */
export function itemFromLive(message: LiveMessage): EventItem {
  return { kind: 'event', id: message.id, idParts: message.idParts, prev: message.prev, time: message.time, type: message.type, envelope: message.envelope };
}

/** A retained event as an item, or undefined when its envelope is unusable. */
export function itemFromHistory(entry: HistoryEntry): EventItem | undefined {
  const idParts = parseStreamId(entry.id);
  if (idParts === undefined || entry.envelope.includes('\n') || entry.envelope.includes('\r')) return undefined;
  let envelope: unknown;
  try {
    envelope = JSON.parse(entry.envelope);
  } catch {
    return undefined;
  }
  const { type, time } = (envelope ?? {}) as { type?: unknown; time?: unknown };
  if (typeof type !== 'string' || typeof time !== 'string') return undefined;
  return { kind: 'event', id: entry.id, idParts, prev: entry.prev, time, type, envelope: entry.envelope };
}

/** `gateway.gap`: history no longer reaches back to `lastEventId` on `channel`. */
export function gapNotice(channel: string, lastEventId: string, earliestId: string | null): NoticeItem {
  const envelope = JSON.stringify({ channel, type: 'gateway.gap', time: new Date().toISOString(), data: { channel, lastEventId, earliestId } });
  return { kind: 'notice', type: 'gateway.gap', envelope };
}

/** `gateway.token_expired`, sent just before the gateway ends a stream whose token expired. */
export function tokenExpiredNotice(expiresAt: number): NoticeItem {
  const envelope = JSON.stringify({ type: 'gateway.token_expired', time: new Date().toISOString(), data: { expiredAt: new Date(expiresAt).toISOString() } });
  return { kind: 'notice', type: 'gateway.token_expired', envelope };
}

/** The frame every single-channel connection of `hash` gets for `item`. */
export function sharedFrame(hash: ChannelHash, item: EventItem): Frame {
  return eventFrame(encodeCursor([{ hash, id: item.idParts }]), item);
}
