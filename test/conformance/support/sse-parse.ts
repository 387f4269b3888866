// SSE bytes through `eventsource-parser`, the parser most Node and browser SSE clients use (the
// `eventsource` package among them): written elsewhere, so it checks our frames against someone
// else's reading of the standard. Bytes are decoded as a client does, with a streaming UTF-8
// decoder, so a chunk boundary inside a multi-byte character is handled as on the wire.
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface ParsedStream {
  events: EventSourceMessage[];
  retries: number[];
  comments: string[];
  /** Anything the parser reported as an error (unknown fields, bad retry values…). */
  errors: string[];
}

export interface SseReader extends ParsedStream {
  /** Feeds the next bytes of the stream. */
  push(bytes: Uint8Array): void;
}

export function sseReader(): SseReader {
  const decoder = new TextDecoder('utf-8');
  const parsed: ParsedStream = { events: [], retries: [], comments: [], errors: [] };
  const parser = createParser({
    onEvent: (event) => parsed.events.push(event),
    onRetry: (retry) => parsed.retries.push(retry),
    onComment: (comment) => parsed.comments.push(comment),
    onError: (error) => parsed.errors.push(error.message),
  });
  return Object.assign(parsed, {
    push(bytes: Uint8Array) {
      parser.feed(decoder.decode(bytes, { stream: true }));
    },
  });
}

/** Parses a whole stream given as chunks (split wherever the caller likes). */
export function parseSse(chunks: readonly Uint8Array[]): ParsedStream {
  const reader = sseReader();
  for (const chunk of chunks) reader.push(chunk);
  const { events, retries, comments, errors } = reader;
  return { events, retries, comments, errors };
}

/** `bytes` cut at the given offsets (any order, out-of-range ones ignored). */
export function splitAt(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const cuts = [...new Set(offsets.filter((at) => at > 0 && at < bytes.length))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    parts.push(bytes.subarray(start, cut));
    start = cut;
  }
  return parts;
}
