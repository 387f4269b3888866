// The load client's per-connection reader: HTTP response head, optional chunked decoding, and a
// minimal SSE scan that finds each bench event's `"seq":` and `"sentAt":` by position, never
// JSON.parse. Works on latin1 strings (the stream is ASCII), one pass over each read.
// With `onBlock` (the storm's clients) it reads every block's `id:`, `retry:` and `event:` too.
import type { SseBlock } from './storm-book';

interface ReaderSink {
  /** Response headers arrived with this status (and the head, for headers such as Retry-After). */
  onHead(status: number, head: string): void;
  /** One bench event: its sequence number in its channel and its publisher timestamp. */
  onEvent?(seq: number, sentAt: number): void;
  /** Instead of onEvent: every block, bench event or not (the opening block, control events). */
  onBlock?(block: SseBlock): void;
  /** The chunked stream's terminator arrived: the server ended the stream. */
  onEnd?(): void;
}

const HEAD_END = '\r\n\r\n';
/** A partial event longer than this means the stream is not what we expect. */
const MAX_TAIL = 1 << 20;

export class SseReader {
  private head = '';
  private inBody = false;
  private chunked = false;
  /** Bytes left in the current chunk. */
  private chunkLeft = 0;
  /** CR/LF bytes still to skip after a chunk's data. */
  private skipCrlf = 0;
  private sizeLine = '';
  private tail = '';

  constructor(private readonly sink: ReaderSink) {}

  feed(text: string): void {
    if (!this.inBody) {
      this.head += text;
      const end = this.head.indexOf(HEAD_END);
      if (end < 0) return;
      const rest = this.head.slice(end + HEAD_END.length);
      this.parseHead(this.head.slice(0, end));
      this.head = '';
      this.inBody = true;
      if (rest.length > 0) this.body(rest);
      return;
    }
    this.body(text);
  }

  private parseHead(head: string): void {
    const status = Number(head.slice(9, 12));
    this.chunked = /\r\ntransfer-encoding:\s*chunked/i.test(head);
    this.sink.onHead(status, head);
  }

  private body(text: string): void {
    if (this.chunked) this.dechunk(text);
    else this.scan(text);
  }

  private dechunk(text: string): void {
    let i = 0;
    const n = text.length;
    while (i < n) {
      if (this.chunkLeft > 0) {
        const take = Math.min(this.chunkLeft, n - i);
        this.scan(take === n && i === 0 ? text : text.slice(i, i + take));
        i += take;
        this.chunkLeft -= take;
        if (this.chunkLeft === 0) this.skipCrlf = 2;
      } else if (this.skipCrlf > 0) {
        i++;
        this.skipCrlf--;
      } else {
        // The size line ends at its LF: a read may end between its CR and LF.
        const eol = text.indexOf('\n', i);
        if (eol < 0) {
          this.sizeLine += text.slice(i);
          return;
        }
        const size = parseInt(this.sizeLine + text.slice(i, eol), 16); // parseInt stops at the CR
        this.sizeLine = '';
        i = eol + 1;
        if (size > 0) this.chunkLeft = size;
        else {
          this.skipCrlf = 2; // last chunk: the stream ends
          this.sink.onEnd?.();
        }
      }
    }
  }

  /** Handles every complete event (ended by a blank line) and keeps the partial one. */
  private scan(text: string): void {
    const s = this.tail.length > 0 ? this.tail + text : text;
    const end = s.lastIndexOf('\n\n');
    if (end < 0) {
      this.tail = s.length > MAX_TAIL ? '' : s;
      return;
    }
    this.tail = end + 2 < s.length ? s.slice(end + 2) : '';
    if (this.sink.onBlock) return this.blocks(s, end);
    let pos = 0;
    for (;;) {
      const i = s.indexOf('"seq":', pos);
      if (i < 0 || i > end) return;
      const j = s.indexOf('"sentAt":', i);
      if (j < 0 || j > end) return;
      this.sink.onEvent?.(parseInt(s.slice(i + 6, i + 22), 10), parseFloat(s.slice(j + 9, j + 40)));
      pos = j + 9;
    }
  }

  /** Each complete block of s[0, end) with its fields; `data:` only for a bench event's seq and sentAt. */
  private blocks(s: string, end: number): void {
    let start = 0;
    while (start < end) {
      let stop = s.indexOf('\n\n', start);
      if (stop < 0 || stop > end) stop = end;
      const block: SseBlock = {};
      let any = false;
      for (let line = start; line < stop; ) {
        const eol = s.indexOf('\n', line);
        const lineEnd = eol < 0 || eol > stop ? stop : eol;
        any = readField(s, line, lineEnd, block) || any;
        line = lineEnd + 1;
      }
      if (any) this.sink.onBlock!(block);
      start = stop + 2;
    }
  }
}

/** One `field: value` line into the block; false for comments (`: hb`) and unknown fields. */
function readField(s: string, from: number, to: number, block: SseBlock): boolean {
  const colon = s.indexOf(':', from);
  if (colon <= from || colon > to) return false;
  const name = s.slice(from, colon);
  const value = s.slice(s.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1, to);
  if (name === 'id') block.id = value;
  else if (name === 'retry') block.retry = Number(value);
  else if (name === 'event') block.event = value;
  else if (name === 'data') {
    const i = value.indexOf('"seq":');
    const j = value.indexOf('"sentAt":');
    if (i < 0 || j < 0) return true;
    block.seq = parseInt(value.slice(i + 6, i + 22), 10);
    block.sentAt = parseFloat(value.slice(j + 9, j + 40));
  } else return false;
  return true;
}
