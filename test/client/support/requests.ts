// Every request that really reached the gateway (URL, headers, status), seen by a recording proxy
// in front of it: the client under test talks to the proxy, the proxy forwards each request as it
// came, byte for byte in its headers, and answers with the gateway's answer as it comes (streams
// included). The gateway reads stream requests off the socket itself, so its HTTP server's own
// `request` events do not see them.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  readonly lastEventId: string | undefined;
  /** The Cookie header. */
  readonly cookie: string | undefined;
  readonly at: number;
  /** The response status once its head came back. */
  readonly status: number | undefined;
}

export interface RecordingProxy {
  /** Point the client here. */
  readonly url: string;
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

export async function recordingProxy(gatewayUrl: string): Promise<RecordingProxy> {
  const requests: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    const header = req.headers['last-event-id'];
    const seen = { method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, lastEventId: typeof header === 'string' ? header : undefined, cookie: req.headers.cookie, at: Date.now(), status: undefined as number | undefined };
    requests.push(seen);
    const upstream = request(new URL(req.url ?? '/', gatewayUrl), { method: req.method, headers: req.headers, agent: false }, (answer) => {
      seen.status = answer.statusCode;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      res.flushHeaders();
      answer.pipe(res);
      answer.on('close', () => {
        if (!answer.complete) res.destroy();
      });
    });
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    res.once('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The stream requests among them (not preflights, not publishes). */
export const streamRequests = (seen: readonly SeenRequest[]): SeenRequest[] => seen.filter((r) => r.method === 'GET' && r.url.startsWith('/v1/stream'));
