// The load client's reader on the bytes a gateway sends: chunked framing, the opening block, events,
// heartbeats and control events, split at any byte.
import { SseReader } from '../../bench/lib/sse-reader';
import type { SseBlock } from '../../bench/lib/storm-book';

const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n';
const chunk = (text: string): string => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
const tick = (seq: number): string =>
  `id: cur${seq}\nevent: bench.tick\ndata: {"id":"17-${seq}","channel":"c","type":"bench.tick","time":"t","data":{"seq":${seq},"sentAt":1733000000000.5,"pad":"x"}}\n\n`;
const BODY = [
  chunk('retry: 2000\nid: opening\n\n'),
  chunk(tick(1) + tick(2)),
  chunk(': hb\n\n'),
  chunk('event: gateway.gap\ndata: {"channel":"c","lastEventId":"1-0","earliestId":null}\n\n'),
  chunk(tick(3)),
  '0\r\n\r\n',
].join('');

function read(pieces: string[]): { status: number[]; blocks: SseBlock[]; events: number[]; ended: number } {
  const out = { status: [] as number[], blocks: [] as SseBlock[], events: [] as number[], ended: 0 };
  const blocks = new SseReader({ onHead: (s) => out.status.push(s), onBlock: (b) => out.blocks.push(b), onEnd: () => out.ended++ });
  const events = new SseReader({ onHead: () => undefined, onEvent: (seq) => out.events.push(seq) });
  for (const piece of pieces) {
    blocks.feed(piece);
    events.feed(piece);
  }
  return out;
}

const EXPECTED: SseBlock[] = [
  { retry: 2000, id: 'opening' },
  { id: 'cur1', event: 'bench.tick', seq: 1, sentAt: 1733000000000.5 },
  { id: 'cur2', event: 'bench.tick', seq: 2, sentAt: 1733000000000.5 },
  { event: 'gateway.gap' },
  { id: 'cur3', event: 'bench.tick', seq: 3, sentAt: 1733000000000.5 },
];

describe('the SSE reader', () => {
  test('reads every block with its id, retry and event, skips heartbeats, and sees the end of the stream', () => {
    const out = read([HEAD + BODY]);
    expect(out.status).toEqual([200]);
    expect(out.blocks).toEqual(EXPECTED);
    expect(out.ended).toBe(1);
    // The fast path of the other scenarios finds the same events.
    expect(out.events).toEqual([1, 2, 3]);
  });

  test('gives the same blocks whatever the reads are cut at', () => {
    const all = HEAD + BODY;
    for (const size of [1, 2, 7, 33, 100]) {
      const pieces: string[] = [];
      for (let i = 0; i < all.length; i += size) pieces.push(all.slice(i, i + size));
      const out = read(pieces);
      expect({ size, blocks: out.blocks, events: out.events, ended: out.ended }).toEqual({ size, blocks: EXPECTED, events: [1, 2, 3], ended: 1 });
    }
  });

  test('a stream without chunking (HTTP/1.0) and a refused request', () => {
    const plain = read(['HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n', 'retry: 500\nid: a\n\n', tick(9)]);
    expect(plain.blocks).toEqual([{ retry: 500, id: 'a' }, { id: 'cur9', event: 'bench.tick', seq: 9, sentAt: 1733000000000.5 }]);
    const refused = read(['HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 2\r\n\r\n{}']);
    expect(refused.status).toEqual([503]);
    expect(refused.blocks).toEqual([]);
  });
});
