// The head of a `GET /v1/stream` request, read by the gateway itself (see stream-acceptor.ts):
// the request line and the few headers a stream needs, with the limits Node's own parser applies
// (16 KB of head, no line breaks or NUL inside values, no body on a GET). Anything else about the
// request is not needed and not kept.

/** Longest request head, as Node's default `--max-http-header-size`. */
export const MAX_HEAD_BYTES = 16 * 1024;

export interface RequestHead {
  /** The request target: `/v1/stream?…` */
  target: string;
  /** HTTP/1.0: no chunked encoding, and the connection ends with the response. */
  http10: boolean;
  /** Whether the connection may carry another request after this one's response (HTTP/1.1 only). */
  keepAlive: boolean;
  authorization: string | undefined;
  cookie: string | undefined;
  lastEventId: string | undefined;
  origin: string | undefined;
}

/** A request head this gateway will not serve: answered with `status` and closed. */
export class HeadError extends Error {
  override readonly name = 'HeadError';
  constructor(
    readonly status: 400 | 431,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: visible ASCII, space, tab and obs-text; never CR, LF or NUL (or other controls).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const TARGET = /^\/[\x21-\x7e]*$/;

/** Where the head ends (the index after its blank line), or -1 when it has not yet. */
export function headEnd(bytes: Buffer): number {
  const at = bytes.indexOf('\r\n\r\n');
  return at < 0 ? -1 : at + 4;
}

/** Parses a complete request head (`head` ends with its blank line), latin1 as HTTP's octets. */
export function parseRequestHead(head: Buffer): RequestHead {
  if (head.length > MAX_HEAD_BYTES) throw new HeadError(431, 'the request head is larger than 16 KB');
  const lines = head.toString('latin1', 0, head.length - 4).split('\r\n');
  const [method, target, version, extra] = (lines[0] ?? '').split(' ');
  if (method !== 'GET' || target === undefined || extra !== undefined || !TARGET.test(target)) throw new HeadError(400, 'malformed request line');
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') throw new HeadError(400, 'unsupported HTTP version');
  const fields = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    // A line without a name or beginning with whitespace (obsolete line folding) is refused, as
    // Node's parser refuses it.
    if (colon <= 0 || !TOKEN.test(name)) throw new HeadError(400, 'malformed header line');
    const value = line.slice(colon + 1).trim();
    if (!FIELD_VALUE.test(value)) throw new HeadError(400, `invalid characters in header ${name}`);
    const seen = fields.get(name);
    // Cookies of several lines make one list; for any other field the first line counts.
    if (seen === undefined) fields.set(name, value);
    else if (name === 'cookie') fields.set(name, `${seen}; ${value}`);
  }
  const http10 = version === 'HTTP/1.0';
  if (!http10 && fields.get('host') === undefined) throw new HeadError(400, 'an HTTP/1.1 request needs a Host header');
  if (fields.has('transfer-encoding') || (fields.get('content-length') ?? '0') !== '0') throw new HeadError(400, 'a stream request has no body');
  return {
    target,
    http10,
    keepAlive: !http10 && !/\bclose\b/i.test(fields.get('connection') ?? ''),
    authorization: fields.get('authorization'),
    cookie: fields.get('cookie'),
    lastEventId: fields.get('last-event-id'),
    origin: fields.get('origin'),
  };
}
