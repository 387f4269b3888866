// What the hub hands to connections: an event (framed once, shared) or a control notice.
import { parseStreamId, type HistoryEntry, type LiveMessage, type RetainedEvent, type StreamIdParts } from '@sse-gateway/publisher/protocol';
import { isEventType } from '@sse-gateway/schemas';
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

/**
 * A history entry of `channel` as an item, or undefined when its envelope is unusable. History is
 * held to the same rules as a live message (see parseLiveMessage): one line of JSON whose id is the
 * entry's, whose channel is the channel read, and whose type is an event type — a type holding an
 * escaped line break would otherwise write SSE fields of its own after `event: `.
 */
export function itemFromHistory(entry: HistoryEntry, channel: string): EventItem | undefined {
  return checkedItem(entry.id, entry.prev, entry.envelope, channel);
}

/** A retained event (`state=1`) as an item, held to the same rules as history. */
export function itemFromRetained(event: RetainedEvent, channel: string): EventItem | undefined {
  return checkedItem(event.id, '', event.envelope, channel);
}

function checkedItem(id: string, prev: string, envelope: string, channel: string): EventItem | undefined {
  const idParts = parseStreamId(id);
  if (idParts === undefined || envelope.includes('\n') || envelope.includes('\r')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(envelope);
  } catch {
    return undefined;
  }
  const fields = (value ?? {}) as { id?: unknown; channel?: unknown; type?: unknown; time?: unknown };
  if (fields.id !== id || fields.channel !== channel || !isEventType(fields.type) || typeof fields.time !== 'string') return undefined;
  return { kind: 'event', id, idParts, prev, time: fields.time, type: fields.type, envelope };
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
