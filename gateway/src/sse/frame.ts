// SSE frames as bytes, built once and written as-is to every connection that takes them.
// On HTTP/1.1 the stream is chunked, and Node's res.write would wrap each write in chunk framing
// per call and per client; we pre-frame the chunk once (`<hex>\r\n…\r\n`) and write the bytes to
// the socket. HTTP/1.0 clients (e.g. a proxy speaking 1.0 upstream) get the same bytes unframed.

/** One SSE block, ready to write: `chunked` for HTTP/1.1 streams, `raw` (a view into it) for HTTP/1.0. */
export interface Frame {
  readonly chunked: Buffer;
  readonly raw: Buffer;
}

const CRLF = Buffer.from('\r\n');
const CR = 0x0d;
const LF = 0x0a;

function frameOf(payload: Buffer): Frame {
  const head = Buffer.from(`${payload.length.toString(16)}\r\n`, 'latin1');
  const chunked = Buffer.concat([head, payload, CRLF]);
  return { chunked, raw: chunked.subarray(head.length, head.length + payload.length) };
}

/** What an event block says besides its cursor: `event: <type>` and `data: <envelope>`. */
export interface EventBody {
  readonly type: string;
  /** The envelope JSON, one line. */
  readonly envelope: Buffer | string;
}

/**
 * A whole event block, chunk-framed: `id: <cursor>\nevent: <type>\ndata: <envelope>\n\n`. Built per
 * event (once for all single-channel connections of a channel) in one allocation, written in place;
 * type and cursor are ASCII (validated event types, base64url cursors).
 */
export function eventFrame(cursor: string, body: EventBody): Frame {
  const { type, envelope } = body;
  const dataLength = typeof envelope === 'string' ? Buffer.byteLength(envelope) : envelope.length;
  const payloadLength = 4 + cursor.length + 8 + type.length + 7 + dataLength + 2;
  const hex = payloadLength.toString(16);
  const headLength = hex.length + 2;
  const chunked = Buffer.allocUnsafe(headLength + payloadLength + 2);
  let at = chunked.write(hex, 0, 'latin1');
  at += chunked.write('\r\nid: ', at, 'latin1');
  at += chunked.write(cursor, at, 'latin1');
  at += chunked.write('\nevent: ', at, 'latin1');
  at += chunked.write(type, at, 'latin1');
  at += chunked.write('\ndata: ', at, 'latin1');
  at += typeof envelope === 'string' ? chunked.write(envelope, at, 'utf8') : envelope.copy(chunked, at);
  chunked[at] = LF;
  chunked[at + 1] = LF;
  chunked[at + 2] = CR;
  chunked[at + 3] = LF;
  return { chunked, raw: chunked.subarray(headLength, headLength + payloadLength) };
}

/** The first block of every stream: the reconnection delay and the starting cursor (no event is dispatched). */
export function openingFrame(retryMs: number, cursor: string): Frame {
  return frameOf(Buffer.from(`retry: ${retryMs}\nid: ${cursor}\n\n`, 'latin1'));
}

export const HEARTBEAT_FRAME: Frame = frameOf(Buffer.from(': hb\n\n', 'latin1'));

