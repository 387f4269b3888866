// The bytes on the wire: event frames (with their HTTP chunk framing) and the composite cursor.
import { channelHash, CursorError, decodeCursor, encodeCursor, MAX_CURSOR_LENGTH } from '../../gateway/src/sse/cursor';
import { eventFrame, HEARTBEAT_FRAME, openingFrame } from '../../gateway/src/sse/frame';
import { parseBlocks } from '../helpers/sse-client';

/** Undoes chunked transfer coding: the payload, checking that the declared size is exact. */
function unchunk(chunked: Buffer): Buffer {
  const text = chunked.toString('latin1');
  const headEnd = text.indexOf('\r\n');
  const size = parseInt(text.slice(0, headEnd), 16);
  expect(chunked.length).toBe(headEnd + 2 + size + 2);
  expect(chunked.subarray(chunked.length - 2).toString('latin1')).toBe('\r\n');
  return chunked.subarray(headEnd + 2, headEnd + 2 + size);
}

describe('frames', () => {
  test.each([
    ['ASCII', '{"id":"1-0","data":{"a":1}}'],
    ['multi-byte UTF-8', '{"id":"1-0","data":{"message":"héllo ✓ 🚀"}}'],
    ['a large envelope', `{"id":"1-0","data":"${'x'.repeat(70000)}"}`],
  ])('an event frame is one exact chunk holding one SSE block (%s)', (_name, envelope) => {
    for (const source of [envelope, Buffer.from(envelope)]) {
      const frame = eventFrame('AbC_-9', { type: 'execution.log', envelope: source });
      const payload = unchunk(frame.chunked);
      expect(frame.raw.equals(payload)).toBe(true);
      const blocks = parseBlocks(payload.toString('utf8'));
      expect(blocks).toEqual([{ id: 'AbC_-9', event: 'execution.log', data: envelope }]);
    }
  });

  test('the opening block and the heartbeat are chunks too', () => {
    expect(parseBlocks(unchunk(openingFrame(2000, 'Zz').chunked).toString())).toEqual([{ retry: '2000', id: 'Zz' }]);
    expect(parseBlocks(unchunk(HEARTBEAT_FRAME.chunked).toString())).toEqual([{ comment: 'hb' }]);
  });
});

describe('cursor', () => {
  const a = channelHash('execution:a');
  const b = channelHash('execution:b');

  test('round trip, URL-safe, one entry per channel', () => {
    const cursor = encodeCursor([
      { hash: a, id: { ms: 1795600050183, seq: 0 } },
      { hash: b, id: { ms: 0, seq: 0 } },
    ]);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const positions = decodeCursor(cursor);
    expect(positions.get(a)).toEqual({ ms: 1795600050183, seq: 0 });
    expect(positions.get(b)).toEqual({ ms: 0, seq: 0 });
    expect(positions.size).toBe(2);
  });

  test('large ids survive (ms and seq up to 2^53 - 1)', () => {
    const id = { ms: Number.MAX_SAFE_INTEGER, seq: Number.MAX_SAFE_INTEGER };
    expect(decodeCursor(encodeCursor([{ hash: a, id }])).get(a)).toEqual(id);
  });

  test('every single-byte edit is refused, never misread', () => {
    const cursor = encodeCursor([{ hash: a, id: { ms: 1795600050183, seq: 7 } }]);
    const bytes = Buffer.from(cursor, 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      const edited = Buffer.from(bytes);
      edited[i] = (edited[i] as number) ^ 0x01;
      expect(() => decodeCursor(edited.toString('base64url'))).toThrow(CursorError);
    }
  });

  test.each([
    ['empty', ''],
    ['not base64url', 'a+b/c='],
    ['too short', 'AQ'],
    ['too long', 'A'.repeat(MAX_CURSOR_LENGTH + 1)],
    ['truncated', encodeCursor([{ hash: a, id: { ms: 1795600050183, seq: 7 } }]).slice(0, -3)],
  ])('malformed (%s) → CursorError', (_name, value) => {
    expect(() => decodeCursor(value)).toThrow(CursorError);
  });
});
