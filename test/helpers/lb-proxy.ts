// A small round-robin HTTP load balancer for tests, behaving like nginx with
// `proxy_next_upstream error http_503`: a backend that refuses the connection or answers 503 is
// skipped for the next one. When every backend is down it keeps trying for `waitMs` (a gateway
// restart) instead of answering 502, which would make an EventSource give up.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoadBalancer {
  readonly url: string;
  /** Backends as `http://127.0.0.1:<port>`; replace entries to point at restarted gateways. */
  backends: string[];
  /** Requests each backend answered (by backend URL). */
  readonly served: Map<string, number>;
  close(): Promise<void>;
}

export interface LoadBalancerOptions {
  /** How long a request keeps trying while every backend is down. @default 15000 */
  waitMs?: number;
  /** Sees every request as it arrives, before it is forwarded (tests record preflights, reconnect times). */
  onRequest?: (req: IncomingMessage) => void;
}

export async function startLoadBalancer(backends: string[], { waitMs = 15000, onRequest }: LoadBalancerOptions = {}): Promise<LoadBalancer> {
  let next = 0;
  const served = new Map<string, number>();
  const lb: LoadBalancer = { url: '', backends: [...backends], served, close: () => Promise.resolve() };
  const server: Server = createServer((req, res) => {
    onRequest?.(req);
    const deadline = Date.now() + waitMs;
    const attempt = (tries: number): void => {
      const backend = lb.backends[next++ % lb.backends.length] as string;
      forward(req, res, backend, (failed) => {
        if (!failed) {
          served.set(backend, (served.get(backend) ?? 0) + 1);
          return;
        }
        if (res.destroyed || Date.now() > deadline) {
          if (!res.headersSent) res.writeHead(502).end();
          return;
        }
        // After a full round of failures, pause before the next round.
        const delay = (tries + 1) % lb.backends.length === 0 ? 50 : 0;
        setTimeout(() => attempt(tries + 1), delay);
      });
    };
    attempt(0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(lb, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}

/** Proxies one request; calls `done(true)` when the backend refused or said 503 (nothing sent to the client yet). */
function forward(req: IncomingMessage, res: ServerResponse, backend: string, done: (failed: boolean) => void): void {
  const target = new URL(req.url ?? '/', backend);
  const upstream = request(target, { method: req.method, headers: req.headers }, (response) => {
    if (response.statusCode === 503) {
      response.resume();
      done(true);
      return;
    }
    res.writeHead(response.statusCode ?? 502, response.headers);
    res.flushHeaders();
    response.pipe(res);
    // A backend that dies mid-stream: cut the client too, so it reconnects (as nginx does).
    response.on('close', () => {
      if (!response.complete) res.destroy();
    });
    done(false);
  });
  upstream.on('error', () => {
    if (res.headersSent) res.destroy(); // the backend died mid-stream: cut the client so it reconnects
    else done(true);
  });
  const abandon = (): void => {
    upstream.destroy();
  };
  res.once('close', abandon);
  upstream.once('close', () => res.off('close', abandon));
  upstream.end();
}
