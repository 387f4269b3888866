// Responses written straight to a socket, for the requests the gateway reads itself (GET
// /v1/stream, see stream-acceptor.ts): the stream's head, built mostly once, and JSON errors.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { errorResponse } from '../errors';

export const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
} as const;

const CHUNKED_STREAM_HEAD = `HTTP/1.1 200 OK\r\n${lines(STREAM_HEADERS)}Transfer-Encoding: chunked\r\n`;
// An HTTP/1.0 client gets the bytes unframed; the stream ends with the connection.
const RAW_STREAM_HEAD = `HTTP/1.1 200 OK\r\n${lines(STREAM_HEADERS)}`;

/** A stream's response head: the fixed part, the date, and `headers` (CORS). */
export function streamHead(chunked: boolean, headers: Readonly<Record<string, string>>): string {
  return `${chunked ? CHUNKED_STREAM_HEAD : RAW_STREAM_HEAD}Date: ${httpDate()}\r\n${lines(headers)}\r\n`;
}

/**
 * The catalogue's JSON answer to `error` (see errors.ts), with `headers` (CORS) beside its own.
 * `keepAlive` says whether the connection carries on; an error that closes it says so.
 */
export function errorAnswer(error: unknown, headers: Readonly<Record<string, string>>, keepAlive: boolean): { bytes: Buffer; keepAlive: boolean } {
  const answer = errorResponse(error);
  const json = Buffer.from(JSON.stringify(answer.body), 'utf8');
  const open = keepAlive && answer.headers['Connection'] !== 'close';
  const head =
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? 'Error'}\r\n` +
    `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${json.length}\r\n` +
    `Date: ${httpDate()}\r\nConnection: ${open ? 'keep-alive' : 'close'}\r\n${lines(answer.headers, 'Connection')}${lines(headers)}\r\n`;
  return { bytes: Buffer.concat([Buffer.from(head, 'latin1'), json]), keepAlive: open };
}

/** How long a connection the gateway closes may take to say goodbye before it is destroyed. */
const LINGER_MS = 2000;

/** Destroys `socket` LINGER_MS from now unless it closed before: time for the client to read the answer. */
export function destroyAfterLinger(socket: Socket): void {
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

function ignore(): void {}

/**
 * Sends `last` (if any) and closes the connection: a FIN, then whatever the client still sends is
 * read and dropped (closing with unread bytes would reset the connection under the answer), and
 * the socket is destroyed when the client closes too, or LINGER_MS later. The gateway's server
 * allows half-open connections, so without this a client that never closes would hold its socket.
 */
export function closeConnection(socket: Socket, last?: Buffer | string): void {
  if (socket.destroyed) return;
  socket.on('error', ignore);
  socket.once('end', () => socket.destroy());
  destroyAfterLinger(socket);
  if (last === undefined) socket.end();
  else socket.end(last);
  socket.resume();
}

/** Header lines, without the one named `except` (said elsewhere). */
function lines(headers: Readonly<Record<string, string>>, except?: string): string {
  let text = '';
  for (const name in headers) if (name !== except) text += `${name}: ${headers[name] as string}\r\n`;
  return text;
}

let dateSecond = -1;
let dateText = '';

/** The IMF-fixdate of now, made once per second (as Node does for its own responses). */
function httpDate(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}
