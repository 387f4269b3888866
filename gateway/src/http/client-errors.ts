// What the server answers when a request never reaches a route: its headers or its body took longer
// than REQUEST_TIMEOUT_MS (Node's headersTimeout / requestTimeout), or it could not be parsed.
// Node's own answers carry no body; these are the catalogue's JSON errors, written on the raw
// socket (there is no response object yet, or the route has not answered), then the socket closes.
import type { Socket } from 'node:net';
import { GatewayError } from '../errors';
import { errorAnswer } from './raw-response';
import { idleSinceHandOver } from './stream-acceptor';

/** The response in flight on a socket: Node's own field, read as its default clientError handler does. */
type HttpSocket = Socket & { _httpMessage?: { headersSent: boolean } | null };

/** A `clientError` listener for the gateway's HTTP server. */
export function answerClientError(error: NodeJS.ErrnoException, socket: HttpSocket): void {
  // An idle kept-alive connection is closed as node:http closes its own idle ones, silently: a
  // client reusing it at that moment would read a 408 as the answer to its new request.
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' && idleSinceHandOver(socket)) {
    socket.destroy();
    return;
  }
  // An answer (or a stream) already started on this socket: writing more would corrupt it, so
  // only the socket is left to close. An earlier answer on a kept-alive socket does not count.
  if (socket.writable && socket._httpMessage?.headersSent !== true) socket.write(errorAnswer(gatewayErrorFor(error), {}, false).bytes);
  socket.destroy();
}

function gatewayErrorFor(error: NodeJS.ErrnoException): GatewayError {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new GatewayError('request_timeout', 'the request was not received in time (REQUEST_TIMEOUT_MS): send its headers and body without pausing');
    case 'HPE_HEADER_OVERFLOW':
      return new GatewayError('headers_too_large', 'the request headers are too large');
    default:
      return new GatewayError('bad_request', 'the request is not valid HTTP/1.1');
  }
}
