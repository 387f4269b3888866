// CORS from CORS_ORIGINS: an allowlist of origins (answered with credentials, so cookies and auth
// headers may be sent), or `*` (any origin, never with credentials). Koa routes use @koa/cors
// configured from here; the stream route, served outside Koa, uses `corsHeaders` directly.
import cors from '@koa/cors';
import type { Middleware } from 'koa';

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
      return any ? { 'Access-Control-Allow-Origin': '*' } : { 'Access-Control-Allow-Origin': value, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' };
    },
    middleware: () =>
      cors({
        origin: (ctx) => allow(ctx.get('Origin') || undefined),
        credentials: !any,
        allowMethods: ['GET', 'POST', 'OPTIONS'],
        allowHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID', 'Cache-Control', 'Idempotency-Key'],
        maxAge: 600,
      }),
  };
}
