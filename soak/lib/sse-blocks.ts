// The soak's SSE reader: the blocks of a stream as they complete, id-only blocks included (the
// stream's opening block carries its starting cursor and no data; the common parsers drop such
// blocks). Text in, one callback per block; a partial block waits for the next chunk.

export interface SseBlock {
  id?: string;
  event?: string;
  data?: string;
  retry?: number;
}

/** A partial block longer than this is not a stream of the gateway's: the reader gives up. */
const MAX_PENDING = 1 << 20;

export class SseBlocks {
  private pending = '';
  private block: SseBlock = {};
  private fields = 0;

  constructor(private readonly onBlock: (block: SseBlock) => void) {}

  /** False once the stream is not what it should be (a partial block over 1 MiB). */
  feed(text: string): boolean {
    const all = this.pending.length > 0 ? this.pending + text : text;
    let start = 0;
    for (let end = all.indexOf('\n'); end >= 0; end = all.indexOf('\n', start)) {
      this.line(all.charCodeAt(end - 1) === 13 ? all.slice(start, end - 1) : all.slice(start, end));
      start = end + 1;
    }
    this.pending = start === 0 ? all : all.slice(start);
    return this.pending.length <= MAX_PENDING;
  }

  private line(line: string): void {
    if (line.length === 0) {
      if (this.fields > 0) this.onBlock(this.block);
      this.block = {};
      this.fields = 0;
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ':' comment (heartbeat)
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1);
    this.fields++;
    if (name === 'data') this.block.data = this.block.data === undefined ? value : `${this.block.data}\n${value}`;
    else if (name === 'id') this.block.id = value;
    else if (name === 'event') this.block.event = value;
    else if (name === 'retry') this.block.retry = Number(value);
  }
}
