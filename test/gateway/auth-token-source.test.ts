import type { IncomingHttpHeaders } from 'node:http';
import { readToken } from '../../gateway/src/auth/token-source';

const read = (headers: IncomingHttpHeaders, query = ''): string | undefined => readToken(headers, new URLSearchParams(query));

describe('readToken', () => {
  test('from each source alone', () => {
    expect(read({ authorization: 'Bearer h.e.ader' })).toBe('h.e.ader');
    expect(read({ cookie: 'theme=dark; sse_token=c.o.okie; other=1' })).toBe('c.o.okie');
    expect(read({}, 'channel=a&access_token=q.u.ery')).toBe('q.u.ery');
    expect(read({})).toBeUndefined();
  });

  test('first match wins: header, then cookie, then query', () => {
    expect(read({ authorization: 'Bearer header', cookie: 'sse_token=cookie' }, 'access_token=query')).toBe('header');
    expect(read({ cookie: 'sse_token=cookie' }, 'access_token=query')).toBe('cookie');
  });

  test('the Bearer scheme is case-insensitive; other schemes are not a token', () => {
    expect(read({ authorization: 'bearer abc' })).toBe('abc');
    expect(read({ authorization: 'BEARER  abc ' })).toBe('abc');
    expect(read({ authorization: 'Basic dXNlcjpwdw==' }, 'access_token=query')).toBe('query');
    expect(read({ authorization: 'Bearer' }, 'access_token=query')).toBe('query');
    expect(read({ authorization: 'Bearer a b' }, 'access_token=query')).toBe('query');
  });

  test('cookies: exact name, quoted and URL-encoded values, empty ones skipped', () => {
    expect(read({ cookie: 'xsse_token=nope; sse_token=yes' })).toBe('yes');
    expect(read({ cookie: 'sse_token="quoted.token"' })).toBe('quoted.token');
    expect(read({ cookie: 'sse_token=a%2Eb' })).toBe('a.b');
    expect(read({ cookie: 'sse_token=' }, 'access_token=query')).toBe('query');
    expect(read({ cookie: 'sse_token=%E0%A4%A' }, 'access_token=query')).toBe('query');
  });

  test('an empty query parameter is no token', () => {
    expect(read({}, 'access_token=')).toBeUndefined();
  });
});
