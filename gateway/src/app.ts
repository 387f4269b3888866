// Koa wiring only: error mapping, CORS, routes. Everything it serves is built in gateway.ts.
import cors from '@koa/cors';
import Router from '@koa/router';
import Koa, { type Context, type Middleware } from 'koa';
import { errorResponse, GatewayError } from './errors';
import type { Logger } from './logger';

export interface AppOptions {
  logger: Logger;
  corsOrigins: string[] | undefined;
  /** Adds the routes. */
  routes: (router: Router) => void;
}

export function createApp(options: AppOptions): Koa {
  const app = new Koa();
  app.proxy = false;
  app.use(errors(options.logger));
  if (options.corsOrigins !== undefined) app.use(corsFor(options.corsOrigins));
  const router = new Router();
  options.routes(router);
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.use(() => {
    throw new GatewayError('not_found', 'no such endpoint');
  });
  return app;
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

/**
 * CORS from CORS_ORIGINS: an allowlist of origins (with credentials, so cookies and auth headers
 * may be sent), or `*` (any origin, never with credentials).
 */
function corsFor(origins: string[]): Middleware {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  return cors({
    origin: (ctx) => {
      const origin = ctx.get('Origin');
      if (any) return '*';
      return allowed.has(origin) ? origin : '';
    },
    credentials: !any,
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID', 'Cache-Control'],
    maxAge: 600,
  });
}
