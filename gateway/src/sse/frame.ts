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

export function frameOf(payload: Buffer): Frame {
  const head = Buffer.from(`${payload.length.toString(16)}\r\n`, 'latin1');
  const chunked = Buffer.concat([head, payload, CRLF]);
  return { chunked, raw: chunked.subarray(head.length, head.length + payload.length) };
}

/** `event: <type>\ndata: <envelope>\n\n`: the part of an event's block every connection shares. */
export function eventTail(type: string, envelope: Buffer | string): Buffer {
  const data = typeof envelope === 'string' ? Buffer.from(envelope) : envelope;
  return Buffer.concat([Buffer.from(`event: ${type}\ndata: `, 'latin1'), data, Buffer.from('\n\n', 'latin1')]);
}

/** A whole event block: `id: <cursor>\n` then the shared tail. */
export function eventFrame(cursor: string, tail: Buffer): Frame {
  return frameOf(Buffer.concat([Buffer.from(`id: ${cursor}\n`, 'latin1'), tail]));
}

/** The first block of every stream: the reconnection delay and the starting cursor (no event is dispatched). */
export function openingFrame(retryMs: number, cursor: string): Frame {
  return frameOf(Buffer.from(`retry: ${retryMs}\nid: ${cursor}\n\n`, 'latin1'));
}

export const HEARTBEAT_FRAME: Frame = frameOf(Buffer.from(': hb\n\n', 'latin1'));

/** The chunked stream's terminator. */
export const END_OF_CHUNKS = Buffer.from('0\r\n\r\n', 'latin1');
