// The stream request's head as the gateway reads it itself (http/request-head.ts): what it takes,
// what it refuses like Node's parser would, and that no input makes it throw anything else.
import fc from 'fast-check';
import { HeadError, headEnd, MAX_HEAD_BYTES, parseRequestHead } from '../../gateway/src/http/request-head';
import { runs } from '../helpers/property';

const head = (text: string): Buffer => Buffer.from(text, 'latin1');

test('a browser-like stream request: target, headers by name whatever their case, keep-alive', () => {
  const parsed = parseRequestHead(
    head('GET /v1/stream?channel=a&channel=b HTTP/1.1\r\nHost: gw\r\nauthorization:  Bearer abc \r\nCOOKIE: x=1\r\nCookie: sse_token=t\r\nLast-Event-ID: AQID\r\nOrigin: https://app\r\n\r\n'),
  );
  expect(parsed).toEqual({
    target: '/v1/stream?channel=a&channel=b',
    http10: false,
    keepAlive: true,
    authorization: 'Bearer abc',
    cookie: 'x=1; sse_token=t',
    lastEventId: 'AQID',
    origin: 'https://app',
  });
});

test('the first Authorization and Last-Event-ID count; Connection: close and HTTP/1.0 end the connection with the response', () => {
  const twice = parseRequestHead(head('GET /v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer one\r\nAuthorization: Bearer two\r\nConnection: Close\r\n\r\n'));
  expect(twice.authorization).toBe('Bearer one');
  expect(twice.keepAlive).toBe(false);
  const old = parseRequestHead(head('GET /v1/stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'));
  expect(old).toMatchObject({ http10: true, keepAlive: false });
});

test.each([
  ['a POST', 'POST /v1/stream HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['no version', 'GET /v1/stream\r\nHost: x\r\n\r\n'],
  ['HTTP/2.0', 'GET /v1/stream HTTP/2.0\r\nHost: x\r\n\r\n'],
  ['a space in the target', 'GET /v1/stream?a=b c HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['an absolute target', 'GET http://x/v1/stream HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['HTTP/1.1 without Host', 'GET /v1/stream HTTP/1.1\r\nAuthorization: Bearer a\r\n\r\n'],
  ['a folded header line', 'GET /v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\r\n a\r\n\r\n'],
  ['a header without a colon', 'GET /v1/stream HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n'],
  ['a space before the colon', 'GET /v1/stream HTTP/1.1\r\nHost : x\r\n\r\n'],
  ['NUL in a value', 'GET /v1/stream HTTP/1.1\r\nHost: x\r\nCookie: a\u0000b\r\n\r\n'],
  ['a bare LF inside', 'GET /v1/stream HTTP/1.1\r\nHost: x\nCookie: a\r\n\r\n'],
  ['a body (Content-Length)', 'GET /v1/stream HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n'],
  ['a body (chunked)', 'GET /v1/stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'],
])('%s is a 400', (_name, text) => {
  expect(() => parseRequestHead(head(text))).toThrow(expect.objectContaining({ name: 'HeadError', status: 400 }));
});

test('a head over 16 KB is a 431', () => {
  const big = `GET /v1/stream HTTP/1.1\r\nHost: x\r\nCookie: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`;
  expect(() => parseRequestHead(head(big))).toThrow(expect.objectContaining({ status: 431 }));
});

test('headEnd finds the blank line, or says it has not come yet', () => {
  expect(headEnd(head('GET / HTTP/1.1\r\nHost: x\r\n\r\nrest'))).toBe(27);
  expect(headEnd(head('GET / HTTP/1.1\r\nHost: x\r\n'))).toBe(-1);
});

test('any bytes: a head, or a HeadError — never another exception', () => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((array) => Buffer.concat([Buffer.from(array), head('\r\n\r\n')])),
    fc
      .tuple(fc.string({ maxLength: 60 }), fc.array(fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 })), { maxLength: 6 }))
      .map(([target, fields]) => head(`GET /v1/stream${target} HTTP/1.1\r\n${fields.map(([n, v]) => `${n}:${v}\r\n`).join('')}\r\n`)),
  );
  fc.assert(
    fc.property(bytes, (input) => {
      try {
        const parsed = parseRequestHead(input);
        expect(parsed.target.startsWith('/')).toBe(true);
        for (const value of [parsed.authorization, parsed.cookie, parsed.lastEventId, parsed.origin]) if (value !== undefined) expect(value).not.toMatch(/[\r\n\0]/);
      } catch (error) {
        expect(error).toBeInstanceOf(HeadError);
      }
    }),
    runs(3000),
  );
});
