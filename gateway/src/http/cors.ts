// CORS from CORS_ORIGINS: an allowlist of origins (answered with credentials, so cookies and auth
// headers may be sent), or `*` (any origin, never with credentials). Koa routes use @koa/cors
// configured from here; the stream route, served outside Koa, uses `corsHeaders` directly.
// Preflights (OPTIONS, answered by Koa for every path) allow the headers a fetch-based client sends:
// `Authorization` and `Last-Event-ID`. Responses expose `Retry-After`, which a cross-origin script
// could not read otherwise, so a client can wait out a 429/503 as told.
import cors from '@koa/cors';
import type { Middleware } from 'koa';

/** Response headers a cross-origin script may read beyond the CORS-safelisted ones. */
const EXPOSED_HEADERS = ['Retry-After'];

export interface CorsPolicy {
  /** The CORS response headers for a request from `origin` (none when it is not allowed). */
  corsHeaders(origin: string | undefined): Record<string, string>;
  /** The same policy as Koa middleware (preflight included). */
  middleware(): Middleware;
}

export function corsPolicy(origins: readonly string[]): CorsPolicy {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  const allow = (origin: string | undefined): string => (any ? '*' : origin !== undefined && allowed.has(origin) ? origin : '');
  return {
    corsHeaders(origin): Record<string, string> {
      const value = allow(origin);
      if (value === '') return {};
      const exposed = { 'Access-Control-Expose-Headers': EXPOSED_HEADERS.join(', ') };
      return any
        ? { 'Access-Control-Allow-Origin': '*', ...exposed }
        : { 'Access-Control-Allow-Origin': value, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin', ...exposed };
    },
    middleware: () =>
      cors({
        origin: (ctx) => allow(ctx.get('Origin') || undefined),
        credentials: !any,
        allowMethods: ['GET', 'POST', 'OPTIONS'],
        allowHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID', 'Cache-Control', 'Idempotency-Key'],
        exposeHeaders: EXPOSED_HEADERS,
        maxAge: 600,
      }),
  };
}
