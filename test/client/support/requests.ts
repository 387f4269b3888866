// Every request a gateway's HTTP server received (URL, headers, status), seen from its own
// `request` events: what really reached it, whatever the client claims.
import type { Server } from 'node:http';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  readonly lastEventId: string | undefined;
  /** The Cookie header. */
  readonly cookie: string | undefined;
  readonly at: number;
  /** The response status once its head was sent. */
  readonly status: number | undefined;
}

export function watchRequests(server: Server): SeenRequest[] {
  const seen: SeenRequest[] = [];
  server.on('request', (req, res) => {
    const header = req.headers['last-event-id'];
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
      lastEventId: typeof header === 'string' ? header : undefined,
      cookie: req.headers.cookie,
      at: Date.now(),
      get status() {
        return res.headersSent ? res.statusCode : undefined;
      },
    });
  });
  return seen;
}

/** The stream requests among them (not preflights, not publishes). */
export const streamRequests = (seen: readonly SeenRequest[]): SeenRequest[] => seen.filter((r) => r.method === 'GET' && r.url.startsWith('/v1/stream'));
