// Small web servers for browser tests: the demo page (and its token endpoint) served from its own
// origin, pointing at a gateway elsewhere; and a bare page with an inline script (CORS tests).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import { demoSite, type DemoSiteOptions } from '../../../demo/site';

export interface Site {
  /** e.g. http://127.0.0.1:41234 (an origin) */
  readonly origin: string;
  /** How many tokens the page asked for. */
  readonly tokenRequests: number;
  close(): Promise<void>;
}

/** Listens on `port` (0: any) on 127.0.0.1. */
function listen(server: Server, port = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
}

/** The demo page at `<origin>/demo/`, streaming from `options.gatewayUrl`. */
export async function startDemoSite(options: DemoSiteOptions): Promise<Site> {
  const app = new Koa();
  const router = new Router();
  let tokenRequests = 0;
  app.use(async (ctx, next) => {
    if (ctx.path === '/demo/token') tokenRequests++;
    await next();
  });
  demoSite(router, options);
  app.use(router.routes());
  const server = createServer(app.callback());
  const origin = await listen(server);
  return {
    origin,
    get tokenRequests() {
      return tokenRequests;
    },
    close: closer(server),
  };
}

/** Serves `html` at `/` (and nothing else). */
export async function startPageServer(html: string): Promise<Site> {
  const server = createServer((req, res) => {
    if (req.url !== '/') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(html);
  });
  const origin = await listen(server);
  return { origin, tokenRequests: 0, close: closer(server) };
}
