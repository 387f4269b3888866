// The stream over fetch: the token in `Authorization`, the cursor in `Last-Event-ID`, the body
// parsed by eventsource-parser as it arrives. Sees every status code and every byte (heartbeats
// included), which EventSource hides.
import { createParser } from 'eventsource-parser';
import { retryAfterMs } from './retry.js';
import { messageOf, type Transport, type TransportEnd, type TransportHandlers } from './transport.js';

/** Most of an error body read: the gateway's are small JSON; anything else is not read further. */
const MAX_ERROR_BODY = 4096;
/** The opening block (`retry:` and `id:`) is looked for in this many first characters. */
const MAX_OPENING = 4096;

export const fetchTransport: Transport = async (request, handlers) => {
  const headers: Record<string, string> = { Accept: 'text/event-stream', Authorization: `Bearer ${request.token}` };
  if (request.cursor !== undefined) headers['Last-Event-ID'] = request.cursor;
  let response: Response;
  try {
    response = await fetch(request.url, { headers, signal: request.signal, cache: 'no-store' });
  } catch (error) {
    return { kind: 'network', message: messageOf(error), beforeResponse: true };
  }
  if (response.status !== 200 || !/^text\/event-stream/i.test(response.headers.get('Content-Type') ?? '') || response.body === null) {
    return refusal(response);
  }
  handlers.open();
  return read(response.body.getReader(), request.maxEventLength, request.signal, handlers);
};

async function read(reader: ReadableStreamDefaultReader<Uint8Array>, maxEventLength: number, signal: AbortSignal, handlers: TransportHandlers): Promise<TransportEnd> {
  let overflow = false;
  const parser = createParser({
    // Events already in a chunk are not dispatched once the stream was given up (close(), refresh).
    onEvent: (event) => signal.aborted || handlers.message(event.event, event.data, event.id),
    onRetry: handlers.retry,
    onError: (error) => (overflow ||= error.type === 'max-buffer-size-exceeded'),
    maxBufferSize: maxEventLength,
  });
  const decoder = new TextDecoder();
  let head: string | undefined = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { kind: 'ended' };
      handlers.alive();
      const text = decoder.decode(value, { stream: true });
      if (head !== undefined) head = opening(head + text, handlers);
      parser.feed(text);
      if (overflow) {
        void reader.cancel().catch(() => undefined);
        return { kind: 'network', message: `an event longer than ${maxEventLength} characters` };
      }
    }
  } catch (error) {
    return { kind: 'network', message: messageOf(error) };
  }
}

/**
 * eventsource-parser drops a block without `data:`, but the gateway's first block is
 * `retry:` + `id: <cursor>` alone: the position the stream started at. Read its `id:` here, so a
 * stream that drops before its first event still resumes from where it started.
 * Returns what to keep looking at, or undefined once done.
 */
function opening(head: string, handlers: TransportHandlers): string | undefined {
  const end = head.indexOf('\n\n');
  if (end < 0) return head.length < MAX_OPENING ? head : undefined;
  const id = /^id: ?(.*)$/m.exec(head.slice(0, end))?.[1];
  if (id !== undefined && id !== '') handlers.cursor(id);
  return undefined;
}

/** A non-stream answer: its status, `Retry-After`, and the gateway's `{ error: { code, message } }` when there is one. */
async function refusal(response: Response): Promise<TransportEnd> {
  const end = { kind: 'http', status: response.status, retryAfterMs: retryAfterMs(response.headers.get('Retry-After')) } as const;
  try {
    const { code, message } = (JSON.parse(await bounded(response)) as { error?: { code?: unknown; message?: unknown } }).error ?? {};
    return { ...end, gatewayCode: short(code, 100), message: short(message, 500) };
  } catch {
    return end;
  }
}

/** The first MAX_ERROR_BODY bytes of a body, as text; the rest is not read. */
async function bounded(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  let text = '';
  const decoder = new TextDecoder();
  while (reader !== undefined && text.length < MAX_ERROR_BODY) {
    const { done, value } = await reader.read();
    if (done) return text;
    text += decoder.decode(value, { stream: true });
  }
  void reader?.cancel().catch(() => undefined);
  return text;
}

const short = (value: unknown, length: number): string | undefined => (typeof value === 'string' ? value.slice(0, length) : undefined);
