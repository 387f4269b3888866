// The envelope on the wire: `{"id","channel","type","time","data"}`. The id is only known once
// Redis has stored the event, so publishers send the rest ("the body") and the store puts
// `{"id":"<id>",` in front; the gateway then forwards those exact bytes as the SSE `data:` line.
import { isChannelName, isEventType } from '@sse-gateway/schemas';
import { parseStreamId, type StreamIdParts } from './stream-id';

/** One event as subscribers receive it. */
export interface Envelope<TData = unknown, TType extends string = string> {
  id: string;
  channel: string;
  type: TType;
  /** ISO-8601 UTC, when it was published. */
  time: string;
  data: TData;
}

/** What a publisher sends: the envelope without `id` and `time`. */
export interface EventInput<TData = unknown, TType extends string = string> {
  channel: string;
  type: TType;
  data: TData;
  /**
   * At most 128 characters. A second publish with the same key on the same channel, while the key
   * is remembered, stores and announces nothing and resolves with the first event's id (even when
   * its content differs). The SDK's `publish` makes one up when none is given.
   */
  idempotencyKey?: string;
  /**
   * Seconds the key is remembered, when it need not be as long as the default (`idempotencyTtlS`,
   * the gateway's `IDEMPOTENCY_TTL_S`, which also caps it over HTTP). Only with an `idempotencyKey`.
   */
  idempotencyTtlS?: number;
  /** Also keep it as the channel's latest event of its type (its retained state). @default false */
  retain?: boolean;
}

/** The envelope JSON after its id: `"channel":…,"type":…,"time":…,"data":…}`. */
export function envelopeBody(channel: string, type: string, time: string, dataJson: string): string {
  return `"channel":${JSON.stringify(channel)},"type":${JSON.stringify(type)},"time":"${time}","data":${dataJson}}`;
}

export function envelopeJson(id: string, body: string): string {
  return `{"id":"${id}",${body}`;
}

/** A live message as announced on a channel's pub/sub channel: `<previous id> <envelope JSON>`. */
export interface LiveMessage {
  /** The id of the event before this one in its channel (`0-0` for the first). */
  prev: string;
  id: string;
  idParts: StreamIdParts;
  type: string;
  time: string;
  /** The envelope's exact bytes: one line of JSON, safe to put after `data: `. */
  envelope: Buffer;
}

type LiveMessageParse = { ok: true; message: LiveMessage } | { ok: false; reason: string };

const SPACE = 0x20;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Checks a live message's shape without validating `data` against its schema (the publisher did):
 * the previous id, a JSON object with a valid id, the expected channel, a type, a time, and no line
 * break that could split the SSE frame.
 */
export function parseLiveMessage(raw: Buffer, expectedChannel: string): LiveMessageParse {
  const space = raw.indexOf(SPACE);
  if (space <= 0 || space > 40) return { ok: false, reason: 'malformed' };
  const prev = raw.toString('latin1', 0, space);
  const envelope = raw.subarray(space + 1);
  if (parseStreamId(prev) === undefined || envelope.indexOf(LF) !== -1 || envelope.indexOf(CR) !== -1) {
    return { ok: false, reason: 'malformed' };
  }
  let value: unknown;
  try {
    value = JSON.parse(envelope.toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  return checkEnvelope(value, expectedChannel, prev, envelope);
}

function checkEnvelope(value: unknown, channel: string, prev: string, envelope: Buffer): LiveMessageParse {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'malformed' };
  const { id, channel: ch, type, time } = value as Record<string, unknown>;
  const idParts = typeof id === 'string' ? parseStreamId(id) : undefined;
  if (idParts === undefined || typeof time !== 'string' || !('data' in value)) return { ok: false, reason: 'invalid_envelope' };
  if (!isEventType(type) || !isChannelName(ch)) return { ok: false, reason: 'invalid_envelope' };
  if (ch !== channel) return { ok: false, reason: 'wrong_channel' };
  return { ok: true, message: { prev, id: id as string, idParts, type, time, envelope } };
}
