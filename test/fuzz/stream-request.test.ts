// Property tests of GET /v1/stream's query parsers (gateway/src/http/stream-request.ts) and of
// where a token is read from (gateway/src/auth/token-source.ts): any query string, header or
// cookie gives either a value that round-trips or a GatewayError the HTTP layer answers with a
// 400; reading a token never throws at all.
import fc from 'fast-check';
import { isChannelName } from '@sse-gateway/schemas';
import { readToken, TOKEN_COOKIE } from '../../gateway/src/auth/token-source';
import { GatewayError } from '../../gateway/src/errors';
import { requestedChannels, requestedResume } from '../../gateway/src/http/stream-request';
import { channelHash, encodeCursor } from '../../gateway/src/sse/cursor';
import { awkwardString, channelName, runs } from '../helpers/property';

const MAX_CHANNELS = 32;

/** Runs `parse`; a GatewayError must be a 400, anything else thrown fails the property. */
function parsedOr400<T>(parse: () => T): T | GatewayError {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof GatewayError)) throw new Error(`untyped error: ${String(error)}`);
    expect(error.status).toBe(400);
    expect(['no_channel', 'bad_channel', 'too_many_channels', 'bad_cursor']).toContain(error.code);
    expect(error.message.length).toBeLessThan(300); // an error body never grows with the input
    return error;
  }
}

const queryValue = fc.oneof(channelName(), awkwardString({ maxLength: 12 }), fc.string({ maxLength: 250 }));
const rawQuery = fc.oneof(
  fc.array(fc.tuple(fc.constantFrom('channel', 'channel', 'lastEventId', 'access_token', 'x', 'Channel', 'channel[]'), queryValue), { maxLength: 40 })
    .map((pairs) => new URLSearchParams(pairs).toString()),
  fc.string({ unit: 'binary-ascii', maxLength: 200 }),
  fc.string({ unit: fc.constantFrom(...'channel=&%a:Z0%2F%ZZ%E2%80%A8+;#?'), maxLength: 200 }),
);

test('any query string gives its distinct valid channels, in order, or a 400', () => {
  fc.assert(
    fc.property(rawQuery, (raw) => {
      const query = new URLSearchParams(raw);
      const result = parsedOr400(() => requestedChannels(query, MAX_CHANNELS));
      if (result instanceof GatewayError) return;
      expect(result).toEqual([...new Set(query.getAll('channel'))]);
      expect(result.length).toBeGreaterThan(0);
      expect(result.length).toBeLessThanOrEqual(MAX_CHANNELS);
      expect(result.every(isChannelName)).toBe(true);
    }),
    runs(2500),
  );
});

test('valid channel lists round-trip through the query string', () => {
  fc.assert(
    fc.property(fc.uniqueArray(channelName(), { minLength: 1, maxLength: MAX_CHANNELS }), (channels) => {
      const query = new URLSearchParams(channels.map((channel): [string, string] => ['channel', channel]));
      expect(requestedChannels(new URLSearchParams(query.toString()), MAX_CHANNELS)).toEqual(channels);
    }),
    runs(2000),
  );
});

test('any Last-Event-ID header or lastEventId parameter is live, earliest, a cursor, or a 400; the header wins unless empty', () => {
  const value = fc.oneof(fc.constant(undefined), fc.constant(''), fc.constant('earliest'), awkwardString({ maxLength: 40 }), fc.base64String({ maxLength: 60 }));
  const header = fc.oneof(value, fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }));
  fc.assert(
    fc.property(header, value, (sent, parameter) => {
      const query = new URLSearchParams(parameter === undefined ? [] : [['lastEventId', parameter]]);
      const result = parsedOr400(() => requestedResume(sent, query));
      if (result instanceof GatewayError) return;
      const first = Array.isArray(sent) ? sent[0] : sent;
      const used = first || parameter; // an empty header is no header
      if (used === undefined || used === '') expect(result).toEqual({ kind: 'live' });
      else if (used === 'earliest') expect(result).toEqual({ kind: 'earliest' });
      else expect(result.kind).toBe('cursor');
    }),
    runs(2500),
  );
});

test('a cursor round-trips through the header and the query parameter alike', () => {
  const positions = fc.uniqueArray(fc.record({ hash: channelName().map(channelHash), id: fc.record({ ms: fc.maxSafeNat(), seq: fc.maxSafeNat() }) }), {
    selector: (p) => p.hash, minLength: 1, maxLength: MAX_CHANNELS,
  });
  fc.assert(
    fc.property(positions, fc.boolean(), (list, inHeader) => {
      const cursor = encodeCursor(list);
      const query = new URLSearchParams(inHeader ? [] : [['lastEventId', cursor]]);
      const resume = requestedResume(inHeader ? cursor : undefined, new URLSearchParams(query.toString()));
      expect(resume).toEqual({ kind: 'cursor', positions: new Map(list.map((p) => [p.hash, p.id])) });
    }),
    runs(1000),
  );
});

describe('token sources', () => {
  const token = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.~+/='), minLength: 1, maxLength: 60 });
  const junk = fc.oneof(fc.constant(undefined), awkwardString({ maxLength: 30 }), fc.string({ unit: 'binary-ascii', maxLength: 60 }));

  test('any headers and query give a token or none, never an exception', () => {
    fc.assert(
      fc.property(junk, junk, junk, (authorization, cookie, parameter) => {
        const query = new URLSearchParams(parameter === undefined ? [] : [['access_token', parameter]]);
        const found = readToken({ authorization, cookie }, query);
        if (found === undefined) return;
        // What was found is in one of the sources as sent (the cookie's percent-decoded).
        expect(found.length).toBeGreaterThan(0);
        const sources = [authorization, cookie === undefined ? undefined : decodeURIComponentOr(cookie), query.get('access_token') ?? undefined];
        expect(sources.some((source) => source?.includes(found))).toBe(true);
      }),
      runs(2500),
    );
  });

  test('a token round-trips from each source, and the first source that has one wins', () => {
    const otherCookies = fc.array(fc.tuple(fc.string({ unit: fc.constantFrom(...'abz_'), minLength: 1, maxLength: 8 }), fc.string({ unit: fc.constantFrom(...'abz%=" '), maxLength: 8 })), { maxLength: 4 })
      .map((pairs) => pairs.filter(([name]) => name !== TOKEN_COOKIE));
    fc.assert(
      fc.property(fc.option(token), fc.option(token), fc.option(token), otherCookies, fc.constantFrom('Bearer', 'bearer', 'BEARER'), (inHeader, inCookie, inQuery, others, scheme) => {
        const cookieParts = others.map(([name, value]) => `${name}=${value}`);
        if (inCookie !== null) cookieParts.push(`${TOKEN_COOKIE}=${encodeURIComponent(inCookie)}`);
        const headers = {
          authorization: inHeader === null ? undefined : `${scheme} ${inHeader}`,
          cookie: cookieParts.length === 0 ? undefined : cookieParts.join('; '),
        };
        const query = new URLSearchParams(inQuery === null ? [] : [['access_token', inQuery]]);
        expect(readToken(headers, new URLSearchParams(query.toString()))).toBe(inHeader ?? inCookie ?? inQuery ?? undefined);
      }),
      runs(3000),
    );
  });
});

function decodeURIComponentOr(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
