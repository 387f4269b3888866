// The web site of the browser tests: a page on its own origin (its own port), the client bundle it
// imports, and a token endpoint minting short-lived subscribe tokens, as an app's backend would.
// Every token it handed out is kept, to look for it where it must not be (URLs, logs).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mintToken } from '../../helpers/tokens';
import { HARNESS_PAGE } from './harness-page';

export interface ClientSite {
  /** e.g. http://127.0.0.1:41234 */
  readonly origin: string;
  /** Every token /token handed out. */
  readonly tokens: string[];
  close(): Promise<void>;
}

export interface ClientSiteOptions {
  /** The client bundle's text. */
  bundle: string;
  /** Other pages, by path. */
  pages?: Record<string, string>;
}

/**
 * Serves `/` (the harness page), `/client.js` (the bundle) and `/token?ttl=<s>&subscribe=<pattern>`:
 * a token for `execution:*` (or the pattern) living `ttl` seconds (default 3600); `/token?fail=1`
 * answers 500.
 */
export async function startClientSite(options: ClientSiteOptions): Promise<ClientSite> {
  const tokens: string[] = [];
  const pages: Record<string, string> = { '/': HARNESS_PAGE, ...options.pages };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://site');
    const page = pages[url.pathname];
    if (page !== undefined) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(page);
    } else if (url.pathname === '/client.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' }).end(options.bundle);
    } else if (url.pathname === '/token' && url.searchParams.get('fail') === null) {
      const ttlS = Number(url.searchParams.get('ttl') ?? 3600);
      void mintToken({ sub: 'page', subscribe: [url.searchParams.get('subscribe') ?? 'execution:*'], ttlS }).then((token) => {
        tokens.push(token);
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' }).end(token);
      });
    } else {
      res.writeHead(url.pathname === '/token' ? 500 : 404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tokens,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
