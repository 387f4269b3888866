// Koa wiring only: error mapping, CORS, routes. Everything it serves is built in gateway.ts.
import Router from '@koa/router';
import Koa, { type Context, type Middleware } from 'koa';
import { errorResponse, GatewayError } from './errors';
import type { CorsPolicy } from './http/cors';
import type { Logger } from './logger';

const CLIENT_GONE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

interface AppOptions {
  logger: Logger;
  cors: CorsPolicy | undefined;
  /** The gateway is shutting down: answers close their connections. */
  isDraining: () => boolean;
  /** Adds the routes. */
  routes: (router: Router) => void;
}

export function createApp(options: AppOptions): Koa {
  const app = new Koa();
  app.proxy = false;
  // Koa's default prints a stack trace on stderr for every error it sees, including clients that
  // hang up mid-request: ignore those, log the rest as one line.
  app.on('error', (error: NodeJS.ErrnoException) => {
    if (CLIENT_GONE.has(error.code ?? '')) return;
    options.logger.warn('request error', { error: error.message, code: error.code });
  });
  app.use(closeWhenDraining(options.isDraining));
  app.use(errors(options.logger));
  if (options.cors !== undefined) app.use(options.cors.middleware());
  const router = new Router();
  options.routes(router);
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.use(() => {
    throw new GatewayError('not_found', 'no such endpoint');
  });
  return app;
}

/**
 * While draining, a request still in progress is answered (a publish cut short would be lost to
 * its client, and a load balancer does not retry a POST), and its answer says `Connection: close`,
 * so the gateway's connections end as their requests do.
 */
function closeWhenDraining(isDraining: () => boolean): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      if (isDraining()) ctx.set('Connection', 'close');
    }
  };
}

/** The one place errors become responses: `{ "error": { "code", "message" } }`. */
function errors(logger: Logger): Middleware {
  return async (ctx: Context, next) => {
    try {
      await next();
    } catch (error) {
      const { status, headers, body } = errorResponse(error);
      if (status >= 500 && !(error instanceof GatewayError)) {
        // The path only: query strings may carry an access token.
        logger.error('request failed', { method: ctx.method, path: ctx.path, error: (error as Error).stack ?? String(error) });
      }
      if (ctx.respond === false || ctx.res.headersSent) return; // the stream owns the socket now
      ctx.status = status;
      ctx.set(headers);
      ctx.body = body;
    }
  };
}
