// GET /v1/stream: read the request, verify the token, and hand the stream to the hub. Served by
// node:http straight, not through Koa: a Koa context lives as long as its response, and a stream's
// response lives for hours (its context, middleware closures and listeners cost ~5 KB per idle
// connection and time per connect). The connection watches its socket from here on, before the
// first await, so a client that hangs up at any point is seen.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { allows } from '../auth/channel-patterns';
import { readToken } from '../auth/token-source';
import type { TokenVerifier } from '../auth/token-verifier';
import { errorResponse, GatewayError } from '../errors';
import type { Claims } from '../auth/claims';
import type { Hub } from '../hub/hub';
import type { Resume } from '../hub/subscription';
import type { Logger } from '../logger';
import { Connection } from '../sse/connection';
import type { HeartbeatClock } from '../sse/heartbeat';
import type { WriteBatcher } from '../sse/write-batcher';
import type { CorsPolicy } from './cors';
import { requestedChannels, requestedResume, requestedState } from './stream-request';

interface StreamDeps {
  hub: Hub;
  verifier: TokenVerifier;
  logger: Logger;
  batcher: WriteBatcher;
  clock: HeartbeatClock;
  maxChannelsPerConnection: number;
  clientBufferBytes: number;
  cors: CorsPolicy | undefined;
}

const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
} as const;

const STREAM_PATH = '/v1/stream';

/** True for the requests `streamRoute` serves. */
export function isStreamRequest(req: IncomingMessage): boolean {
  const url = req.url ?? '';
  return req.method === 'GET' && (url === STREAM_PATH || url.startsWith(`${STREAM_PATH}?`));
}

export function streamRoute(deps: StreamDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  async function open(req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
    if (deps.hub.draining) throw new GatewayError('draining', 'this gateway is shutting down; reconnect to another');
    const query = new URLSearchParams((req.url ?? '').slice(STREAM_PATH.length + 1));
    const channels = requestedChannels(query, deps.maxChannelsPerConnection);
    const token = readToken(req.headers, query);
    if (token === undefined) throw new GatewayError('unauthorized', 'a bearer token is required (Authorization header, sse_token cookie or access_token parameter)');
    const connection = new Connection({ res, bufferLimit: deps.clientBufferBytes, batcher: deps.batcher, clock: deps.clock });
    let claims: Claims;
    try {
      claims = await deps.verifier.verify(token);
    } catch (error) {
      connection.detach();
      throw error;
    }
    if (connection.closed) return; // the client left while its token was checked: nothing was taken
    let resume: Resume;
    let state: boolean;
    try {
      const denied = channels.find((channel) => !allows(claims.subscribe, channel));
      if (denied !== undefined) throw new GatewayError('forbidden', `the token may not subscribe to channel ${denied}`);
      resume = requestedResume(req.headers['last-event-id'] || undefined, query);
      state = requestedState(query);
    } catch (error) {
      connection.detach();
      throw error;
    }
    forgetRequestDetails(req);
    await deps.hub.attach(connection, {
      subject: claims.subject,
      channels,
      resume,
      state,
      expiresAt: claims.expiresAt,
      headers: { ...STREAM_HEADERS, ...cors },
    });
  }

  return async (req, res) => {
    const cors = deps.cors?.corsHeaders(req.headers.origin) ?? {};
    try {
      await open(req, res, cors);
    } catch (error) {
      if (res.headersSent || res.destroyed) return;
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
 * carry the bearer token and are no longer needed once the request is read, so they are dropped
 * (less memory per idle connection, and no token lingering in the heap).
 */
function forgetRequestDetails(req: IncomingMessage): void {
  req.headers = {};
  req.rawHeaders.length = 0;
  req.url = STREAM_PATH;
}
