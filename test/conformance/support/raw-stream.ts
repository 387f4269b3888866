// A stream's body bytes exactly as they arrive, fed chunk by chunk (real network boundaries) to
// eventsource-parser, over HTTP/1.1 (chunked; node's llhttp undoes the chunk framing, not our
// code) or HTTP/1.0 (a plain socket: no chunking, the body is everything after the head).
import { request } from 'node:http';
import { connect } from 'node:net';
import { sseReader, type SseReader } from './sse-parse';
import { waitFor } from '../../helpers/wait-for';

export interface CapturedStream {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** Every body byte received so far, in order. */
  readonly chunks: Buffer[];
  /** The parse of those bytes, as they arrived. */
  readonly parsed: SseReader;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  /** Waits until `count` events (of any type) are parsed. */
  waitForEvents(count: number, timeoutMs?: number): Promise<void>;
  close(): void;
}

function captured(status: number, headers: CapturedStream['headers'], chunks: Buffer[], parsed: SseReader, ended: Promise<void>, close: () => void): CapturedStream {
  return {
    status, headers, chunks, parsed, ended, close,
    waitForEvents: (count, timeoutMs = 10000) =>
      waitFor(() => parsed.events.length >= count, { timeoutMs, message: `${count} events (have ${parsed.events.length})` }).then(() => undefined),
  };
}

/** GET `path` over HTTP/1.1; resolves once the response head arrived. */
export function captureStream(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<CapturedStream> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, baseUrl), { headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      const parsed = sseReader();
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        parsed.push(chunk);
      });
      const ended = new Promise<void>((done) => response.on('close', done));
      resolve(captured(response.statusCode ?? 0, response.headers, chunks, parsed, ended, () => req.destroy()));
    });
    req.on('error', reject);
    req.end();
  });
}

/** GET `path` over HTTP/1.0 on a plain socket; resolves once the response head arrived. */
export function captureStreamHttp10(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<CapturedStream> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const head = [`GET ${path} HTTP/1.0`, `Host: ${url.host}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`), '', ''].join('\r\n');
    socket.write(head);
    let pending = Buffer.alloc(0);
    let stream: CapturedStream | undefined;
    const chunks: Buffer[] = [];
    const parsed = sseReader();
    const ended = new Promise<void>((done) => socket.on('close', () => done()));
    socket.on('data', (chunk: Buffer) => {
      if (stream !== undefined) {
        chunks.push(chunk);
        parsed.push(chunk);
        return;
      }
      pending = Buffer.concat([pending, chunk]);
      const end = pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = pending.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number((lines[0] ?? '').split(' ')[1]);
      const responseHeaders: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        responseHeaders[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      responseHeaders[':version'] = lines[0]?.split(' ')[0] ?? '';
      stream = captured(status, responseHeaders, chunks, parsed, ended, () => socket.destroy());
      const body = pending.subarray(end + 4);
      if (body.length > 0) {
        chunks.push(body);
        parsed.push(body);
      }
      resolve(stream);
    });
    socket.on('error', reject);
  });
}
