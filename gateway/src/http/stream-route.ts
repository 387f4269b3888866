// GET /v1/stream: authenticate, check channels and cursor, join the hub, then own the socket to
// write pre-framed bytes and see backpressure directly. Served by node:http straight, not through
// Koa: a Koa context lives as long as its response, and a stream's response lives for hours (its
// context, middleware closures and listeners cost ~5 KB per idle connection and time per connect).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { allows } from '../auth/channel-patterns';
import { readToken } from '../auth/token-source';
import type { TokenVerifier } from '../auth/token-verifier';
import { errorResponse, GatewayError } from '../errors';
import type { Hub } from '../hub/hub';
import { replayAndRelease, startPositions } from '../hub/replay';
import { tokenExpiredNotice } from '../hub/items';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { Connection, type CloseReason } from '../sse/connection';
import { channelHash } from '../sse/cursor';
import type { Deadlines } from '../sse/deadlines';
import type { HeartbeatClock } from '../sse/heartbeat';
import { openingFrame } from '../sse/frame';
import type { WriteBatcher } from '../sse/write-batcher';
import type { Admission } from './admission';
import type { CorsPolicy } from './cors';
import { requestedChannels, requestedResume } from './stream-request';

export interface StreamDeps {
  hub: Hub;
  verifier: TokenVerifier;
  admission: Admission;
  logger: Logger;
  metrics: Metrics;
  batcher: WriteBatcher;
  clock: HeartbeatClock;
  expiries: Deadlines<Connection>;
  isDraining: () => boolean;
  maxChannelsPerConnection: number;
  retryMs: number;
  clientBufferBytes: number;
  cors: CorsPolicy | undefined;
}

/** How long a new stream waits for a disconnected bus before it is refused with 503. */
const BUS_WAIT_MS = 3000;

export const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
} as const;

/** True for the requests `streamRoute` serves. */
export function isStreamRequest(req: IncomingMessage): boolean {
  const url = req.url ?? '';
  return req.method === 'GET' && (url === STREAM_PATH || url.startsWith(`${STREAM_PATH}?`));
}

const STREAM_PATH = '/v1/stream';

export function streamRoute(deps: StreamDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const onClose = (connection: Connection, reason: CloseReason): void => {
    connection.expiry?.cancel();
    deps.hub.leave(connection, connection.memberships);
    deps.admission.release(connection.subject);
    if (reason === 'slow') deps.metrics.slowClientDisconnects.inc();
    deps.logger.info('stream closed', {
      subject: connection.subject,
      channels: connection.channels,
      durationMs: Date.now() - connection.openedAt,
      eventsSent: connection.eventsSent,
      reason,
    });
  };

  async function open(req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
    if (deps.isDraining()) throw new GatewayError('draining', 'this gateway is shutting down; reconnect to another');
    const query = new URLSearchParams((req.url ?? '').slice(STREAM_PATH.length + 1));
    const channels = requestedChannels(query, deps.maxChannelsPerConnection);
    const token = readToken(req.headers, query);
    if (token === undefined) throw new GatewayError('unauthorized', 'a bearer token is required (Authorization header, sse_token cookie or access_token parameter)');
    const claims = await deps.verifier.verify(token);
    const denied = channels.find((channel) => !allows(claims.subscribe, channel));
    if (denied !== undefined) throw new GatewayError('forbidden', `the token may not subscribe to channel ${denied}`);
    const resume = requestedResume(req.headers['last-event-id'] || undefined, query);
    if (!(await deps.hub.whenBusConnected(BUS_WAIT_MS))) {
      throw new GatewayError('bus_unavailable', 'the gateway has lost its message bus; retry shortly');
    }
    deps.admission.admit(claims.subject);

    const socket = req.socket;
    const connection = new Connection({
      socket,
      chunked: req.httpVersionMajor > 1 || req.httpVersionMinor >= 1,
      channels,
      hashes: channels.map(channelHash),
      subject: claims.subject,
      expiresAt: claims.expiresAt,
      bufferLimit: deps.clientBufferBytes,
      batcher: deps.batcher,
      clock: deps.clock,
      onClose,
    });
    try {
      connection.memberships = await deps.hub.join(connection);
      await startPositions(deps.hub, connection, resume);
    } catch (error) {
      if (!connection.closed) {
        connection.forget();
        deps.hub.leave(connection, connection.memberships);
        deps.admission.release(claims.subject);
      }
      throw error instanceof GatewayError ? error : new GatewayError('bus_unavailable', 'the message bus did not answer; retry shortly');
    }
    if (connection.closed) return; // the client left while we were getting ready (onClose cleaned up)

    connection.batch(); // the response head and the opening block leave in one write
    res.writeHead(200, { ...STREAM_HEADERS, ...cors });
    res.flushHeaders();
    connection.chunked = res.chunkedEncoding;
    forgetRequestDetails(req);
    socket.setNoDelay(true);
    socket.setTimeout(0);
    connection.write(openingFrame(deps.retryMs, connection.cursor()));
    if (claims.expiresAt !== undefined) connection.expiry = deps.expiries.add(claims.expiresAt, connection);
    deps.logger.info('stream opened', { subject: claims.subject, channels, resume: resume.kind });

    const replayed = await replayAndRelease(deps.hub, connection, resume.kind === 'earliest').catch((error: unknown) => {
      deps.logger.warn('replay failed; the client will resume', { subject: claims.subject, channels, error: (error as Error).message });
      connection.end('error');
      return 0;
    });
    if (replayed > 0) deps.metrics.replayedEvents.inc(replayed);
  }

  return async (req, res) => {
    const cors = deps.cors?.corsHeaders(req.headers.origin) ?? {};
    try {
      await open(req, res, cors);
    } catch (error) {
      if (res.headersSent) return;
      const { status, headers, body } = errorResponse(error);
      if (!(error instanceof GatewayError)) {
        // The path only: the query string may carry an access token.
        deps.logger.error('stream request failed', { path: STREAM_PATH, error: (error as Error).stack ?? String(error) });
      }
      res.writeHead(status, { ...headers, ...cors, 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    }
  };
}

/**
 * Node keeps a request object until its response ends: for a stream, hours. Its headers and URL
 * carry the bearer token and are no longer needed once the stream is open, so they are dropped
 * (less memory per idle connection, and no token lingering in the heap).
 */
function forgetRequestDetails(req: IncomingMessage): void {
  req.headers = {};
  req.rawHeaders.length = 0;
  req.url = STREAM_PATH;
}

/** Ends a stream whose token expired, telling the client why first. */
export function expireConnection(connection: Connection): void {
  if (connection.closed || connection.expiresAt === undefined) return;
  connection.sendNotice(tokenExpiredNotice(connection.expiresAt));
  connection.end('token_expired');
}
