// Property tests of the cursor decoder (gateway/src/sse/cursor.ts), the parser of every client's
// Last-Event-ID: any cursor the gateway encodes decodes to the same positions, and any other
// string either decodes to positions or is refused with CursorError (a 400 `bad_cursor`), never
// with anything else.
import fc from 'fast-check';
import { channelHash, CursorError, decodeCursor, encodeCursor, MAX_CURSOR_LENGTH, type CursorPosition } from '../../gateway/src/sse/cursor';
import { channelName, runs } from '../helpers/property';

const position: fc.Arbitrary<CursorPosition> = fc.record({
  hash: channelName().map(channelHash),
  id: fc.record({ ms: fc.maxSafeNat(), seq: fc.maxSafeNat() }),
});
/** Up to 32 channels (MAX_CHANNELS_PER_CONNECTION), each once, as a connection has them. */
const positions = fc.uniqueArray(position, { selector: (p) => p.hash, minLength: 1, maxLength: 32 });

/** Runs `decodeCursor`; anything it throws other than CursorError fails the property. */
function decodeOrRefuse(cursor: string): Map<string, { ms: number; seq: number }> | CursorError {
  try {
    return decodeCursor(cursor);
  } catch (error) {
    if (error instanceof CursorError) return error;
    throw new Error(`decodeCursor threw ${String(error)} for ${JSON.stringify(cursor)}`);
  }
}

/** The same FNV-1a as the encoder: lets the test build checksummed cursors with any payload. */
function fnv1a(bytes: Uint8Array): number {
  let sum = 0x811c9dc5;
  for (const byte of bytes) sum = Math.imul(sum ^ byte, 0x01000193) >>> 0;
  return sum >>> 0;
}

function withChecksum(payload: Uint8Array): string {
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(fnv1a(payload));
  return Buffer.concat([payload, sum]).toString('base64url');
}

test('every encoded cursor is base64url (no CR, LF or NUL in an SSE id), within the limit, and decodes to its positions', () => {
  fc.assert(
    fc.property(positions, (list) => {
      const cursor = encodeCursor(list);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(cursor.length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH);
      expect(decodeCursor(cursor)).toEqual(new Map(list.map((p) => [p.hash, p.id])));
    }),
    runs(2000),
  );
});

test('any string is either a cursor or a CursorError', () => {
  const strings = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 64 }),
    fc.string({ unit: fc.constantFrom(...'ABCabc019_-+/=. '), maxLength: 80 }),
    fc.base64String({ maxLength: 80 }),
    fc.constant('A'.repeat(MAX_CURSOR_LENGTH + 1)),
  );
  fc.assert(
    fc.property(strings, (cursor) => {
      const result = decodeOrRefuse(cursor);
      if (result instanceof Map) expect(decodeCursor(encodeCursor([...result].map(([hash, id]) => ({ hash, id }))))).toEqual(result);
    }),
    runs(3000),
  );
});

test('an edited cursor (a character changed, dropped or added) is refused or names only positions it encodes', () => {
  const edit = fc.record({
    at: fc.nat(),
    kind: fc.constantFrom('replace', 'drop', 'insert'),
    char: fc.constantFrom(...'AZaz09_-'),
  });
  fc.assert(
    fc.property(positions, edit, (list, { at, kind, char }) => {
      const cursor = encodeCursor(list);
      const i = at % cursor.length;
      const edited =
        kind === 'replace' ? cursor.slice(0, i) + char + cursor.slice(i + 1)
        : kind === 'drop' ? cursor.slice(0, i) + cursor.slice(i + 1)
        : cursor.slice(0, i) + char + cursor.slice(i);
      const result = decodeOrRefuse(edited);
      // base64 carries spare bits in its last character: an edit there may leave the bytes as they were.
      if (result instanceof Map) expect(result).toEqual(decodeCursor(cursor));
    }),
    runs(2000),
  );
});

test('a checksummed cursor with any payload decodes to safe integers or is a CursorError', () => {
  const payload = fc.uint8Array({ maxLength: 120 }).map((rest) => Uint8Array.from([1, ...rest]));
  fc.assert(
    fc.property(payload, (bytes) => {
      const result = decodeOrRefuse(withChecksum(bytes));
      if (result instanceof CursorError) return;
      for (const [hash, id] of result) {
        expect(hash).toHaveLength(6);
        expect(Number.isSafeInteger(id.ms) && id.ms >= 0).toBe(true);
        expect(Number.isSafeInteger(id.seq) && id.seq >= 0).toBe(true);
      }
    }),
    runs(3000),
  );
});
