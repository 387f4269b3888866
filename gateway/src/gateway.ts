// Builds one gateway from its config: bus, hub, auth, routes, HTTP server, and the drain that
// ends it. main.ts is the process around it; tests run several in one process.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Router from '@koa/router';
import { createApp } from './app';
import { createTokenVerifier } from './auth/token-verifier';
import type { Bus } from './bus/bus';
import { createBus } from './bus/create-bus';
import type { Config } from './config';
import { Hub } from './hub/hub';
import type { Subscription } from './hub/subscription';
import { channelRoutes } from './http/channel-routes';
import { answerClientError } from './http/client-errors';
import { healthRoutes } from './http/health-routes';
import { publishRoutes } from './http/publish-route';
import { corsPolicy } from './http/cors';
import { acceptStreams } from './http/stream-acceptor';
import { isStreamRequest, streamRoute } from './http/stream-route';
import type { Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { Heartbeat } from './sse/heartbeat';
import { WriteBatcher } from './sse/write-batcher';

export interface GatewayOptions {
  logger: Logger;
  /** A bus to use instead of the configured one (tests). */
  bus?: Bus;
  /** Extra routes (the demo page), added after the core ones. */
  routes?: (router: Router) => void;
}

export interface Gateway {
  readonly bus: Bus;
  readonly metrics: Metrics;
  readonly server: Server;
  readonly hub: Hub;
  /** Listens on config.host:config.port (port 0: any free port). */
  listen(): Promise<AddressInfo>;
  /** Readiness: bus connected and not draining. */
  isReady(): boolean;
  /** SIGTERM: refuse new streams, end open ones over a short window, close everything. */
  shutdown(): Promise<void>;
}

/**
 * Connections the kernel may queue before the gateway accepts them (capped by net.core.somaxconn,
 * 4096 on common distributions). Node's default is 511: when a killed gateway's 10,000 clients
 * arrive at once, the SYNs beyond it are dropped and retried after 1 s, then 3 s, and the storm
 * takes many times longer than a paced connect.
 */
export const LISTEN_BACKLOG = 4096;

/** Open streams are ended over this window (at most), so their clients don't all reconnect in one instant. */
const DRAIN_SPREAD_MS = 1000;
const DRAIN_SLICES = 10;

export function createGateway(config: Config, options: GatewayOptions): Gateway {
  const { logger } = options;
  const metrics = createMetrics();
  const bus = options.bus ?? createBus(config, { onError: (error) => logger.warn('bus error', { error: error.message }) });
  const hub = new Hub({
    bus,
    metrics,
    logger,
    maxConnections: config.maxConnections,
    maxConnectionsPerSubject: config.maxConnectionsPerSubject,
    retryMs: config.retryMs,
    clientBufferBytes: config.clientBufferBytes,
    heartbeatMs: config.heartbeatMs,
    replayBudgetBytes: config.replayBudgetBytes,
    maxEventBytes: config.publishMaxBytes,
  });
  const verifier = createTokenVerifier(config);
  const batcher = new WriteBatcher();
  const heartbeat = new Heartbeat(config.heartbeatMs);
  const isReady = (): boolean => bus.connected && !hub.draining;
  const cors = config.corsOrigins === undefined ? undefined : corsPolicy(config.corsOrigins);

  const app = createApp({
    logger,
    cors,
    isDraining: () => hub.draining,
    routes: (router) => {
      healthRoutes(router, { metrics, isReady });
      publishRoutes(router, {
        bus, verifier, metrics,
        schemasDir: config.schemasDir,
        publishMaxBytes: config.publishMaxBytes,
        idempotencyTtlS: config.idempotencyTtlS,
      });
      channelRoutes(router, { bus, verifier });
      options.routes?.(router);
    },
  });
  const koa = app.callback();
  const server = createServer(serverTimeouts(config.requestTimeoutMs), (req, res) => {
    if (isStreamRequest(req)) void stream.fromResponse(req, res);
    else void koa(req, res);
  });
  server.on('clientError', answerClientError);
  const acceptor = acceptStreams(server, {
    headTimeoutMs: config.requestTimeoutMs,
    onStream: (socket, head) => void stream.fromSocket(socket, head),
  });
  const stream = streamRoute({
    hub, verifier, logger, batcher,
    clock: heartbeat,
    maxChannelsPerConnection: config.maxChannelsPerConnection,
    clientBufferBytes: config.clientBufferBytes,
    cors,
    handOver: acceptor.handOver,
  });

  async function shutdown(): Promise<void> {
    if (hub.draining) return;
    hub.drain();
    logger.info('draining', { connections: hub.streams.size });
    // The listener stays open while streams end, answering /readyz with 503 and new streams with
    // 503 + Retry-After, so probes and load balancers see "not ready" rather than a refused port.
    await endSpread([...hub.streams], Math.min(DRAIN_SPREAD_MS, config.shutdownGraceMs / 4));
    // No new connection from here; idle ones close now, ones with a request in progress once it
    // is answered (with Connection: close), the gateway's own sockets (streams, heads) at once.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    acceptor.close();
    const cut = setTimeout(() => server.closeAllConnections(), config.shutdownGraceMs / 2);
    await closed;
    clearTimeout(cut);
    hub.close();
    heartbeat.close();
    batcher.close();
    verifier.close();
    await bus.close();
    logger.info('stopped');
  }

  return {
    bus,
    metrics,
    server,
    hub,
    isReady,
    shutdown,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG }, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
  };
}

/**
 * Node's own bounds on receiving a request: its headers, and the whole request with its body,
 * within REQUEST_TIMEOUT_MS, else a 408 (answerClientError). Node stops timing a request once it
 * has been received whole — for a stream, at the end of its headers — so a stream's long response
 * is never cut by them. Node checks every `connectionsCheckingInterval` (30 s by default): a
 * tenth of the timeout keeps the 408 close to it, and the check only walks requests in progress.
 */
function serverTimeouts(requestTimeoutMs: number): { requestTimeout: number; headersTimeout: number; connectionsCheckingInterval: number } {
  const connectionsCheckingInterval = Math.min(1000, Math.max(10, Math.floor(requestTimeoutMs / 10)));
  return { requestTimeout: requestTimeoutMs, headersTimeout: requestTimeoutMs, connectionsCheckingInterval };
}

/** Ends the streams in slices spread over `windowMs`, resolving when the last slice is done. */
function endSpread(streams: Subscription[], windowMs: number): Promise<void> {
  if (streams.length === 0) return Promise.resolve();
  const perSlice = Math.ceil(streams.length / DRAIN_SLICES);
  const slices = Math.ceil(streams.length / perSlice);
  return new Promise((resolve) => {
    let done = 0;
    for (let slice = 0; slice < slices; slice++) {
      setTimeout(() => {
        for (const stream of streams.slice(slice * perSlice, (slice + 1) * perSlice)) stream.end('drain');
        if (++done === slices) resolve();
      }, (windowMs * slice) / slices);
    }
  });
}
