// Stream requests are read by the gateway itself, before node:http sees the connection: a
// stream's socket then carries no IncomingMessage, ServerResponse, HTTP parser or the ten bound
// listeners node:http keeps per connection for as long as the response lasts — for a stream,
// hours. Measured here with 8,000 idle connections: node:http kept 11 KB of RSS per connection
// (4.9 KB of heap), a raw socket 4.1-4.5 KB (1 KB). Every other request (publish, health, metrics,
// preflights, the demo) goes to node:http and Koa untouched, with the bytes read so far put back.
//
// Each new connection's first bytes decide: `GET /v1/stream` followed by ` ` or `?` is a stream;
// anything else is handed to node:http at once. A stream's head is read within REQUEST_TIMEOUT_MS
// and 16 KB, as Node's parser would, and a connection whose stream ended cleanly goes back to
// node:http for its next request (keep-alive).
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { GatewayError } from '../errors';
import { headEnd, HeadError, MAX_HEAD_BYTES, parseRequestHead, type RequestHead } from './request-head';
import { closeConnection, errorAnswer } from './raw-response';

const STREAM_PREFIX = Buffer.from('GET /v1/stream', 'latin1');
const SPACE = 0x20;
const QUERY = 0x3f;
const kHandedOverAt = Symbol('bytes read at hand-over');
type HandedOverSocket = Socket & { [kHandedOverAt]?: number };

interface StreamAcceptorOptions {
  /** A connection sends its whole request head within this, else 408 (`REQUEST_TIMEOUT_MS`). */
  headTimeoutMs: number;
  /** A stream request, read: the socket is the callee's now (no listener of ours left); it must listen in this turn. */
  onStream(socket: Socket, head: RequestHead): void;
}

interface StreamAcceptor {
  /** Gives a connection to node:http, for its next request. */
  handOver(socket: Socket, readAhead?: Buffer): void;
  /** Destroys the connections that are the gateway's, not node:http's (shutdown). */
  close(): void;
}

/** Takes over `server`'s connections: streams are read here, the rest goes to node:http. */
export function acceptStreams(server: Server, options: StreamAcceptorOptions): StreamAcceptor {
  const httpListeners = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  // Connections that are the gateway's (reading a head, or streaming) and not node:http's: on
  // shutdown node:http closes its own, these are closed here.
  const owned = new Set<Socket>();
  function forget(this: Socket): void {
    owned.delete(this);
  }

  const handOver = (socket: Socket, readAhead?: Buffer): void => {
    owned.delete(socket);
    socket.off('close', forget);
    if (readAhead !== undefined && readAhead.length > 0) socket.unshift(readAhead);
    else (socket as HandedOverSocket)[kHandedOverAt] = socket.bytesRead;
    // The socket is still flowing (never paused on purpose: a 'data' listener would not resume
    // it, and node:http's parser would never see the bytes put back): node:http takes it from here.
    for (const listener of httpListeners) listener.call(server, socket);
  };

  server.on('connection', (socket: Socket) => {
    owned.add(socket);
    socket.on('close', forget);
    readHead(socket, options, {
      other: (bytes) => handOver(socket, bytes),
      stream: (head) => options.onStream(socket, head),
    });
  });

  return {
    handOver,
    close() {
      for (const socket of owned) socket.destroy();
      owned.clear();
    },
  };
}

/**
 * Whether `socket` was handed to node:http between requests and has sent nothing since. node:http
 * times a connection's next request from the hand-over, not from its first byte, so such an idle
 * kept-alive connection would get a 408 nobody asked for (see client-errors.ts).
 */
export function idleSinceHandOver(socket: Socket): boolean {
  return (socket as HandedOverSocket)[kHandedOverAt] === socket.bytesRead;
}

interface HeadOutcome {
  /** Not a stream request: these bytes were read. */
  other(bytes: Buffer): void;
  stream(head: RequestHead): void;
}

/**
 * Reads until the request is known not to be a stream, or its head is complete. Chunks are kept in
 * a list and joined once (a head trickled a byte at a time costs no quadratic copying).
 */
function readHead(socket: Socket, options: StreamAcceptorOptions, outcome: HeadOutcome): void {
  const chunks: Buffer[] = [];
  let total = 0;
  let stream = false;
  let seam: Buffer = Buffer.alloc(0);
  const timer = setTimeout(
    () => refuse(new GatewayError('request_timeout', 'the request was not received in time (REQUEST_TIMEOUT_MS): send its headers without pausing')),
    options.headTimeoutMs,
  );

  // Whoever takes the socket next adds its listeners in this same turn: no byte is read between.
  const stop = (): void => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('close', onClose);
    socket.off('error', onError);
  };
  const refuse = (error: GatewayError): void => {
    stop();
    closeConnection(socket, errorAnswer(error, {}, false).bytes);
  };
  const onClose = (): void => stop();
  // The server allows half-open connections: a FIN mid-head means the head will never be whole.
  // As node:http does on a FIN: an incomplete request is answered 400, an empty one just closed.
  const onEnd = (): void => {
    if (total > 0) return refuse(new GatewayError('bad_request', 'the connection was half-closed before the request head was complete'));
    stop();
    closeConnection(socket);
  };
  const onError = (): void => {
    socket.destroy();
  };

  const onData = (chunk: Buffer): void => {
    chunks.push(chunk);
    total += chunk.length;
    if (!stream) {
      const bytes = chunks.length === 1 ? chunk : Buffer.concat(chunks, total);
      const kind = classify(bytes);
      if (kind === 'undecided') return;
      if (kind === 'other') {
        stop();
        outcome.other(bytes);
        return;
      }
      stream = true;
    }
    // The blank line may straddle two chunks: look in the end of the last one and this one.
    const window = seam.length === 0 ? chunk : Buffer.concat([seam, chunk]);
    seam = window.subarray(Math.max(0, window.length - 3));
    const endInWindow = headEnd(window);
    if (endInWindow < 0) {
      if (total > MAX_HEAD_BYTES) refuse(gatewayErrorOf(new HeadError(431, 'the request head is larger than 16 KB')));
      return;
    }
    // The window is the tail of the bytes so far (the bytes before it hold no blank line).
    const end = total - window.length + endInWindow;
    const bytes = chunks.length === 1 ? chunk : Buffer.concat(chunks, total);
    stop();
    let head: RequestHead;
    try {
      head = parseRequestHead(bytes.subarray(0, end));
    } catch (error) {
      if (error instanceof HeadError) return refuse(gatewayErrorOf(error));
      throw error;
    }
    // Bytes after the head (a pipelined request) are dropped: a stream holds its connection.
    outcome.stream(head);
  };

  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('close', onClose);
  socket.on('error', onError);
}

/** Whether the bytes so far start a stream request, surely do not, or cannot tell yet. */
function classify(bytes: Buffer): 'stream' | 'other' | 'undecided' {
  const n = Math.min(bytes.length, STREAM_PREFIX.length);
  if (bytes.compare(STREAM_PREFIX, 0, n, 0, n) !== 0) return 'other';
  if (bytes.length <= STREAM_PREFIX.length) return 'undecided';
  const next = bytes[STREAM_PREFIX.length];
  return next === SPACE || next === QUERY ? 'stream' : 'other';
}

function gatewayErrorOf(error: HeadError): GatewayError {
  return new GatewayError(error.status === 431 ? 'headers_too_large' : 'bad_request', error.message);
}
