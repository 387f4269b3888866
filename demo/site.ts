// The demo page's routes: its static files under /demo/ (with the client bundle as client.js), and
// /demo/token, which hands the page a short-lived token that may only subscribe to the demo
// channel. The page mints nothing itself.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type Router from '@koa/router';
import { SignJWT } from 'jose';
import type { Context } from 'koa';

const PUBLIC_DIR = join(__dirname, 'public');
/** @sse-gateway/client's browser bundle, built by `npm run build` (and `npm install`). */
const CLIENT_BUNDLE = join(__dirname, '..', 'client', 'dist', 'browser.js');

export interface DemoSiteOptions {
  /** The one channel the page may follow. */
  channel: string;
  /** HS256 secret the gateway verifies tokens with. */
  secret: Uint8Array;
  /** Lifetime of a page token, seconds. @default 600 */
  tokenTtlS?: number;
  /** The gateway the page streams from: `''` (this origin) or a gateway's base URL, e.g. `http://127.0.0.1:8081`. @default '' */
  gatewayUrl?: string;
  /** `iss` / `aud` of the tokens, when the gateway checks them. */
  issuer?: string;
  audience?: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Adds GET /demo/ (and /demo, redirected), /demo/<file> and /demo/token to `router`. */
export function demoSite(router: Router, options: DemoSiteOptions): void {
  const files = loadFiles(PUBLIC_DIR);
  const ttlS = options.tokenTtlS ?? 600;

  router.get('/demo/token', async (ctx) => {
    const asked = ctx.query['channel'];
    if (asked !== undefined && asked !== options.channel) {
      ctx.status = 403;
      ctx.body = { error: { code: 'forbidden', message: `the demo hands out tokens for ${options.channel} only` } };
      return;
    }
    const expiresAt = Math.floor(Date.now() / 1000) + ttlS;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { token: await pageToken(options, expiresAt), channel: options.channel, gatewayUrl: options.gatewayUrl ?? '', expiresAt: new Date(expiresAt * 1000).toISOString() };
  });
  const serve = (ctx: Context, name: string): void => {
    const file = files.get(name);
    if (file === undefined) {
      ctx.status = 404;
      ctx.body = { error: { code: 'not_found', message: 'no such file' } };
      return;
    }
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.type = file.type;
    ctx.body = file.bytes;
  };
  router.get('/demo/', (ctx) => serve(ctx, 'index.html'));
  // The page's relative URLs need the slash. (This route also matches /demo/, handled above.)
  router.get('/demo', (ctx) => ctx.redirect('/demo/'));
  router.get('/demo/:file', (ctx) => serve(ctx, ctx.params['file'] ?? ''));
}

/** Subscribe-only, to the demo channel only, short-lived. */
function pageToken(options: DemoSiteOptions, expiresAt: number): Promise<string> {
  let jwt = new SignJWT({ sse: { subscribe: [options.channel], publish: [] } })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(`demo-page-${randomBytes(4).toString('hex')}`)
    .setIssuedAt()
    .setExpirationTime(expiresAt);
  if (options.issuer !== undefined) jwt = jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt = jwt.setAudience(options.audience);
  return jwt.sign(options.secret);
}

/** The page's files and the client bundle, read once: only these names are ever served (no path from the URL reaches the disk). */
function loadFiles(dir: string): Map<string, { type: string; bytes: Buffer }> {
  const files = new Map<string, { type: string; bytes: Buffer }>();
  for (const name of readdirSync(dir)) {
    const type = CONTENT_TYPES[extname(name)];
    if (type !== undefined) files.set(name, { type, bytes: readFileSync(join(dir, name)) });
  }
  if (!existsSync(CLIENT_BUNDLE)) throw new Error(`${CLIENT_BUNDLE} is missing: run \`npm run build\``);
  files.set('client.js', { type: CONTENT_TYPES['.js'] as string, bytes: readFileSync(CLIENT_BUNDLE) });
  return files;
}
