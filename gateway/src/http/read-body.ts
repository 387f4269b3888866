// Reads a request body into memory, never more than `limit` bytes of it: a Content-Length over
// the limit is refused before a byte is read, and a body without one (chunked) is refused as soon
// as the bytes received pass the limit. An unbounded body must never become an unbounded Buffer.
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors';

/** How long a refused body may keep arriving (read and discarded) before the socket is closed. */
const LINGER_MS = 2000;

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(tooLarge(req, limit));
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
      reject(tooLarge(req, limit));
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

/**
 * The 413, after arranging for the rest of the body to be discarded: the client is usually still
 * sending and would miss the answer if the socket were reset under it, so its bytes are read and
 * dropped (no memory kept) for a short while, then the connection is closed for good.
 */
function tooLarge(req: IncomingMessage, limit: number): GatewayError {
  discardRest(req);
  return new GatewayError('payload_too_large', `the request body is larger than PUBLISH_MAX_BYTES (${limit} bytes)`);
}

function discardRest(req: IncomingMessage): void {
  if (req.complete) return;
  const socket = req.socket;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.on('error', () => undefined);
  req.resume();
}
