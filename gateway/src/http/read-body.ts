// Reads a request body into memory, never more than `limit` bytes of it: a Content-Length over
// the limit is refused before a byte is read, and a body without one (chunked) is refused as soon
// as the bytes received pass the limit. An unbounded body must never become an unbounded Buffer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors';
import { destroyAfterLinger } from './raw-response';

/** What is read and dropped of a refused body before the connection is closed instead. */
const DRAIN_BYTES = 256 * 1024;

export function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(tooLarge(req, res, limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received <= limit) {
        chunks.push(chunk);
        return;
      }
      stop();
      chunks.length = 0;
      reject(tooLarge(req, res, limit));
    };
    const onEnd = (): void => {
      stop();
      resolve(Buffer.concat(chunks, received));
    };
    // The client went away before the end: nobody is waiting for an answer.
    const onAbort = (): void => {
      stop();
      reject(new GatewayError('bad_request', 'the request body was cut off'));
    };
    const stop = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onClose);
    };
    const onClose = (): void => {
      if (!req.complete) onAbort();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onClose);
  });
}

function tooLarge(req: IncomingMessage, res: ServerResponse, limit: number): GatewayError {
  refuseBody(req, res);
  return new GatewayError('payload_too_large', `the request body is larger than PUBLISH_MAX_BYTES (${limit} bytes)`);
}

/**
 * Deals with the unread rest of a body the route will not use (too large, or refused before
 * reading: 401, 415…). A little more is read and dropped, so a client that sent its whole body
 * keeps a clean keep-alive connection. Past DRAIN_BYTES reading stops: dropping more would still
 * cost a buffer per chunk (garbage until the next GC), and closing a socket with unread data
 * resets the connection, which can destroy the answer before the client reads it. So the rest
 * waits in the kernel (the TCP window closes and the client stops), the answer goes out followed
 * by a FIN, and the socket is destroyed a little later (destroyAfterLinger), when the client has
 * had time to read it.
 */
export function refuseBody(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete) return;
  let drained = 0;
  const onData = (chunk: Buffer): void => {
    drained += chunk.length;
    if (drained > DRAIN_BYTES) hangUp();
  };
  const hangUp = (): void => {
    req.off('data', onData);
    req.pause();
    const socket = req.socket;
    destroyAfterLinger(socket);
    if (res.writableFinished) socket.end();
    else res.once('finish', () => socket.end());
  };
  req.once('end', () => req.off('data', onData));
  req.on('error', () => undefined);
  // A 'data' listener also tells Node's server the body is being consumed: otherwise, once the
  // answer is sent, it would read and drop the whole rest itself (IncomingMessage._dump).
  req.on('data', onData);
}
