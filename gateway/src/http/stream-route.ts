// GET /v1/stream: authenticate, check channels and cursor, join the hub, then take the socket over
// from Koa (ctx.respond = false) to write pre-framed bytes and see backpressure directly.
import type { Context } from 'koa';
import { allows } from '../auth/channel-patterns';
import { readToken } from '../auth/token-source';
import type { TokenVerifier } from '../auth/token-verifier';
import { GatewayError } from '../errors';
import type { Hub } from '../hub/hub';
import { replayAndRelease, startPositions } from '../hub/replay';
import { tokenExpiredNotice } from '../hub/items';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { Connection, type CloseReason } from '../sse/connection';
import { channelHash } from '../sse/cursor';
import type { Deadlines } from '../sse/deadlines';
import { openingFrame } from '../sse/frame';
import type { WriteBatcher } from '../sse/write-batcher';
import type { Admission } from './admission';
import { requestedChannels, requestedResume } from './stream-request';

export interface StreamDeps {
  hub: Hub;
  verifier: TokenVerifier;
  admission: Admission;
  logger: Logger;
  metrics: Metrics;
  batcher: WriteBatcher;
  clock: { readonly tick: number };
  expiries: Deadlines<Connection>;
  isDraining: () => boolean;
  maxChannelsPerConnection: number;
  retryMs: number;
  clientBufferBytes: number;
}

/** How long a new stream waits for a disconnected bus before it is refused with 503. */
const BUS_WAIT_MS = 3000;

export const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
} as const;

export function streamRoute(deps: StreamDeps): (ctx: Context) => Promise<void> {
  const onClose = (connection: Connection, reason: CloseReason): void => {
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

  return async (ctx) => {
    if (deps.isDraining()) throw new GatewayError('draining', 'this gateway is shutting down; reconnect to another');
    const query = new URLSearchParams(ctx.querystring);
    const channels = requestedChannels(query, deps.maxChannelsPerConnection);
    const token = readToken(ctx.headers, query);
    if (token === undefined) throw new GatewayError('unauthorized', 'a bearer token is required (Authorization header, sse_token cookie or access_token parameter)');
    const claims = await deps.verifier.verify(token);
    const denied = channels.find((channel) => !allows(claims.subscribe, channel));
    if (denied !== undefined) throw new GatewayError('forbidden', `the token may not subscribe to channel ${denied}`);
    const resume = requestedResume(ctx.get('Last-Event-ID') || undefined, query);
    if (!(await deps.hub.whenBusConnected(BUS_WAIT_MS))) {
      throw new GatewayError('bus_unavailable', 'the gateway has lost its message bus; retry shortly');
    }
    deps.admission.admit(claims.subject);

    const socket = ctx.req.socket;
    const connection = new Connection({
      socket,
      chunked: ctx.req.httpVersionMajor > 1 || ctx.req.httpVersionMinor >= 1,
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

    ctx.respond = false;
    const res = ctx.res;
    res.writeHead(200, STREAM_HEADERS);
    res.flushHeaders();
    connection.chunked = res.chunkedEncoding;
    socket.setNoDelay(true);
    socket.setTimeout(0);
    connection.write(openingFrame(deps.retryMs, connection.cursor()));
    if (claims.expiresAt !== undefined) deps.expiries.add(claims.expiresAt, connection);
    deps.logger.info('stream opened', { subject: claims.subject, channels, resume: resume.kind });

    const replayed = await replayAndRelease(deps.hub, connection, resume.kind === 'earliest').catch((error: unknown) => {
      deps.logger.warn('replay failed; the client will resume', { subject: claims.subject, channels, error: (error as Error).message });
      connection.end('error');
      return 0;
    });
    if (replayed > 0) deps.metrics.replayedEvents.inc(replayed);
  };
}

/** Ends a stream whose token expired, telling the client why first. */
export function expireConnection(connection: Connection): void {
  if (connection.closed || connection.expiresAt === undefined) return;
  connection.sendNotice(tokenExpiredNotice(connection.expiresAt).tail);
  connection.end('token_expired');
}
