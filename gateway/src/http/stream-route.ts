// GET /v1/stream: read the request, verify the token, and hand the stream to the hub. Most stream
// requests are read by the gateway itself (stream-acceptor.ts) and served on their raw socket; one
// that arrives on a connection node:http already owns (a browser reusing a kept-alive connection)
// is served through node:http's response. Both go through `open` below, and neither touches Koa:
// a Koa context would live as long as the stream.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Claims } from '../auth/claims';
import type { TokenVerifier } from '../auth/token-verifier';
import { GatewayError } from '../errors';
import type { Hub } from '../hub/hub';
import type { Resume } from '../hub/subscription';
import type { Logger } from '../logger';
import { carriesStream, ResponseConnection, SocketConnection, type Connection, type ConnectionInit } from '../sse/connection';
import type { HeartbeatClock } from '../sse/heartbeat';
import type { WriteBatcher } from '../sse/write-batcher';
import type { CorsPolicy } from './cors';
import type { RequestHead } from './request-head';
import { checkMaySubscribe, requestedChannels, requestedResume, requestedState, subscriberToken } from './stream-request';

interface StreamDeps {
  hub: Hub;
  verifier: TokenVerifier;
  logger: Logger;
  batcher: WriteBatcher;
  clock: HeartbeatClock;
  maxChannelsPerConnection: number;
  clientBufferBytes: number;
  cors: CorsPolicy | undefined;
  /** Gives a socket to node:http for its next request (stream-acceptor.ts). */
  handOver: (socket: Socket) => void;
}

/** What a stream request says, however it was read. */
interface StreamRequestHead {
  target: string;
  authorization: string | undefined;
  cookie: string | undefined;
  lastEventId: string | string[] | undefined;
  origin: string | undefined;
}

const STREAM_PATH = '/v1/stream';

/** True for the requests node:http must pass to `streamRoute`'s `fromResponse`. */
export function isStreamRequest(req: IncomingMessage): boolean {
  const url = req.url ?? '';
  return req.method === 'GET' && (url === STREAM_PATH || url.startsWith(`${STREAM_PATH}?`));
}

interface StreamRoute {
  /** A stream request the gateway read from its socket. */
  fromSocket(socket: Socket, head: RequestHead): Promise<void>;
  /** A stream request node:http read, on a connection it owns. */
  fromResponse(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function streamRoute(deps: StreamDeps): StreamRoute {
  const init = (socket: Socket): ConnectionInit => ({ socket, bufferLimit: deps.clientBufferBytes, batcher: deps.batcher, clock: deps.clock });

  async function open(head: StreamRequestHead, connection: Connection, cors: Record<string, string>): Promise<void> {
    if (deps.hub.draining) throw new GatewayError('draining', 'this gateway is shutting down; reconnect to another');
    const query = new URLSearchParams(head.target.slice(STREAM_PATH.length + 1));
    const channels = requestedChannels(query, deps.maxChannelsPerConnection);
    const token = subscriberToken({ authorization: head.authorization, cookie: head.cookie }, query);
    const claims: Claims = await deps.verifier.verify(token);
    if (connection.closed) return; // the client left while its token was checked: nothing was taken
    for (const channel of channels) checkMaySubscribe(claims, channel);
    const resume: Resume = requestedResume(head.lastEventId, query);
    const state = requestedState(query);
    await deps.hub.attach(connection, { subject: claims.subject, channels, resume, state, expiresAt: claims.expiresAt, headers: cors });
  }

  async function serve(head: StreamRequestHead, connection: Connection): Promise<void> {
    const cors = deps.cors?.corsHeaders(head.origin) ?? {};
    try {
      await open(head, connection, cors);
    } catch (error) {
      // Errors come before the response starts (the hub answers for itself after that).
      if (!(error instanceof GatewayError)) {
        // The path only: the query string may carry an access token.
        deps.logger.error('stream request failed', { path: STREAM_PATH, error: (error as Error).stack ?? String(error) });
      }
      if (connection.closed && !connection.detached) return; // the client is gone: nobody to answer
      connection.detach();
      connection.answer(error, cors);
    }
  }

  return {
    fromSocket(socket, head) {
      return serve(head, new SocketConnection({ ...init(socket), http10: head.http10, keepAlive: head.keepAlive, handOver: deps.handOver }));
    },
    fromResponse(req, res) {
      // A request pipelined behind a stream: the stream's response never ends, so this one can
      // never be answered, and the client sent it anyway. Closing the connection ends both.
      if (carriesStream(req.socket)) {
        req.socket.destroy();
        return Promise.resolve();
      }
      const head: StreamRequestHead = {
        target: req.url ?? STREAM_PATH,
        authorization: req.headers.authorization,
        cookie: req.headers.cookie,
        lastEventId: req.headers['last-event-id'],
        origin: req.headers.origin,
      };
      forgetRequestDetails(req);
      return serve(head, new ResponseConnection(init(req.socket), res));
    },
  };
}

/**
 * Node keeps a request object until its response ends: for a stream, hours. Its headers and URL
 * carry the bearer token and are no longer needed once read, so they are dropped (no token
 * lingering in the heap).
 */
function forgetRequestDetails(req: IncomingMessage): void {
  req.headers = {};
  req.rawHeaders.length = 0;
  req.url = STREAM_PATH;
}
