// Real SSE clients for tests: the `eventsource` package (reconnects and resends Last-Event-ID by
// itself, like a browser) and a raw node:http reader for byte-level checks.
import { request, type IncomingMessage } from 'node:http';
import { EventSource } from 'eventsource';
import { waitFor } from './wait-for';

export const BUNDLED_TYPES = ['execution.status', 'execution.progress', 'execution.log', 'execution.output', 'execution.error'];
export const CONTROL_TYPES = ['gateway.gap', 'gateway.token_expired'];

export interface ReceivedEvent {
  type: string;
  lastEventId: string;
  /** The parsed `data:` line (an envelope). */
  data: { id?: string; channel?: string; type: string; time: string; data: unknown };
}

export interface SseClientOptions {
  channels: string[];
  token?: string;
  /** Send the token as `access_token` in the URL instead of the Authorization header. */
  tokenInQuery?: boolean;
  lastEventId?: string;
  /** Event types to listen to (named SSE events). @default bundled + control types */
  types?: string[];
  /** More query parameters, e.g. `{ state: '1' }`. */
  query?: Record<string, string>;
}

/** An `eventsource` client collecting every event it receives. */
export class SseClient {
  readonly events: ReceivedEvent[] = [];
  /** Date.now() when each event of `published` arrived. */
  readonly receivedAt: number[] = [];
  opens = 0;
  errors: { status?: number; message?: string }[] = [];
  readonly source: EventSource;

  constructor(baseUrl: string, options: SseClientOptions) {
    const url = new URL('/v1/stream', baseUrl);
    for (const channel of options.channels) url.searchParams.append('channel', channel);
    for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);
    if (options.token !== undefined && options.tokenInQuery) url.searchParams.set('access_token', options.token);
    const initialId = options.lastEventId;
    const token = options.tokenInQuery ? undefined : options.token;
    this.source = new EventSource(url, {
      fetch: (input, init) => {
        const headers = new Headers(init?.headers);
        if (token !== undefined) headers.set('Authorization', `Bearer ${token}`);
        if (initialId !== undefined && !headers.has('Last-Event-ID')) headers.set('Last-Event-ID', initialId);
        return fetch(input, { ...init, headers });
      },
    });
    this.source.addEventListener('open', () => this.opens++);
    this.source.addEventListener('error', (event) => {
      const { code, message } = event as unknown as { code?: number; message?: string };
      this.errors.push({ status: code, message });
    });
    for (const type of options.types ?? [...BUNDLED_TYPES, ...CONTROL_TYPES]) {
      this.source.addEventListener(type, (event) => {
        this.events.push({ type, lastEventId: event.lastEventId, data: JSON.parse(event.data as string) as ReceivedEvent['data'] });
        if (!type.startsWith('gateway.')) this.receivedAt.push(Date.now());
      });
    }
  }

  /** Events other than the gateway's control events. */
  get published(): ReceivedEvent[] {
    return this.events.filter((event) => !event.type.startsWith('gateway.'));
  }

  async waitForOpen(timeoutMs = 10000): Promise<void> {
    await waitFor(() => this.opens > 0, { timeoutMs, message: 'the stream to open' });
  }

  async waitForEvents(count: number, timeoutMs = 10000): Promise<ReceivedEvent[]> {
    await waitFor(() => this.published.length >= count, { timeoutMs, message: `${count} events (have ${this.published.length})` });
    return this.published;
  }

  close(): void {
    this.source.close();
  }
}

export interface RawStream {
  readonly response: IncomingMessage;
  /** Everything received so far. */
  text(): string;
  /** Parsed SSE blocks so far (comments as `{ comment }`). */
  blocks(): Record<string, string>[];
  /** Resolves when the server ends the response. */
  readonly ended: Promise<void>;
  close(): void;
}

/** A raw GET of `path`, collecting bytes. Resolves once the response headers arrived. */
export function rawStream(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, baseUrl), { headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      const ended = new Promise<void>((done) => {
        response.on('end', done);
        response.on('close', done);
      });
      resolve({ response, text: () => text, blocks: () => parseBlocks(text), ended, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

export function parseBlocks(text: string): Record<string, string>[] {
  return text
    .split('\n\n')
    .slice(0, -1)
    .map((block) => {
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) fields['comment'] = line.slice(1).trim();
        else {
          const colon = line.indexOf(':');
          const name = colon === -1 ? line : line.slice(0, colon);
          const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
          fields[name] = fields[name] === undefined ? value : `${fields[name]}\n${value}`;
        }
      }
      return fields;
    });
}

/** A JSON request; resolves with status, headers and parsed body (or text). */
export async function httpJson(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body };
}
