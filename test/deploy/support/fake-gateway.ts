// A stand-in for a gateway behind the load balancer: plain node:http, an SSE stream that names the
// server in its first event and stays open until told, /healthz, and a "draining" mode that
// answers 503 like a gateway on SIGTERM. It sends no X-Accel-Buffering header on purpose: the
// load balancer's own config must stream unbuffered.
import { createServer, get, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export interface FakeGateway {
  readonly name: string;
  readonly port: number;
  /** Streams this server holds open right now. */
  openStreams(): number;
  /** 503 to every request from now on (like a draining gateway), or back to serving. */
  setDraining(draining: boolean): void;
  /** Resolves at the next stream this server accepts. */
  nextStream(): Promise<void>;
  /** Ends every open stream (the response completes). */
  endStreams(): void;
  close(): Promise<void>;
}

export async function startFakeGateway(name: string): Promise<FakeGateway> {
  const streams = new Set<ServerResponse>();
  const waiters: (() => void)[] = [];
  let draining = false;
  const server = createServer((request, response) => {
    if (draining) {
      response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":{"code":"draining","message":"draining"}}');
    } else if (request.url?.startsWith('/v1/stream')) {
      response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform' });
      // Like the gateway: `retry:` at once, events later, in their own writes. (An event sent
      // together with the headers would pass even a buffering proxy.)
      response.write('retry: 1000\n\n');
      const timer = setTimeout(() => response.write(`event: hello\ndata: ${name}\n\n`), 50);
      response.on('close', () => clearTimeout(timer));
      streams.add(response);
      response.on('close', () => streams.delete(response));
      waiters.splice(0).forEach((wake) => wake());
    } else {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    openStreams: () => streams.size,
    setDraining: (value) => {
      draining = value;
    },
    nextStream: () => new Promise<void>((resolve) => waiters.push(resolve)),
    endStreams: () => streams.forEach((response) => response.end()),
    close: () => new Promise<void>((resolve) => {
      streams.forEach((response) => response.end());
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

export interface StreamClient {
  readonly status: number;
  /** The data of the first event: the name of the server behind the load balancer. */
  readonly firstEvent: Promise<string>;
  /** Resolves when the response has ended. */
  readonly ended: Promise<void>;
  close(): void;
}

/**
 * Opens an SSE stream at `url` and resolves once the response headers are in. With `gzip`, it
 * accepts a compressed response and decodes it as it arrives.
 */
export function openStream(url: string, { gzip = false } = {}): Promise<StreamClient> {
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (gzip) headers['accept-encoding'] = 'gzip';
  return new Promise((resolve, reject) => {
    const request = get(url, { headers }, (response: IncomingMessage) => {
      let buffered = '';
      const body: Readable = response.headers['content-encoding'] === 'gzip' ? response.pipe(createGunzip()) : response;
      const firstEvent = new Promise<string>((resolveEvent, rejectEvent) => {
        body.setEncoding('utf8');
        body.on('data', (chunk: string) => {
          buffered += chunk;
          const event = buffered.split('\n\n').slice(0, -1).find((block) => /^data: /m.test(block));
          const data = event === undefined ? null : /^data: (.*)$/m.exec(event);
          if (data !== null) resolveEvent(data[1]!);
        });
        body.on('end', () => rejectEvent(new Error(`the stream ended before an event (status ${response.statusCode}): ${buffered}`)));
      });
      firstEvent.catch(() => undefined);
      const ended = new Promise<void>((resolveEnd) => response.on('close', () => resolveEnd()));
      resolve({ status: response.statusCode ?? 0, firstEvent, ended, close: () => request.destroy() });
    });
    request.on('error', reject);
  });
}
