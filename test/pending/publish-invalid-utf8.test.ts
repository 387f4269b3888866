// PENDING: not run by npm test (see test/pending/README.md); it fails until the fix lands.
// Found while pinning down what happens to lone surrogates; the fix belongs in
// gateway/src/http/publish-route.ts (parseJson).
//
// JSON exchanged between systems must be UTF-8 (RFC 8259 §8.1). A lone surrogate is fine as a
// JSON escape (`"\ud800"`: the SDK and any JSON.stringify send that, and it is delivered as such),
// but a body carrying bytes that are not UTF-8 — e.g. a surrogate encoded directly (ED A0 80), a
// Latin-1 `é` (E9) — is decoded with Buffer.toString('utf8'), which silently turns each bad
// sequence into U+FFFD: the event is accepted (202) and subscribers receive text the publisher
// never sent. Proposed: 400 `bad_request` "the body is not valid UTF-8" (e.g. decode with
// `new TextDecoder('utf-8', { fatal: true })`), so the behaviour is as clear over HTTP as in the SDK.
import { startGateway, type TestGateway } from '../helpers/gateway';
import { testRedisUrl, uniquePrefix } from '../helpers/redis';
import { mintToken } from '../helpers/tokens';

let gw: TestGateway;
let token: string;

beforeAll(async () => {
  gw = await startGateway({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: uniquePrefix('pendingutf8') });
  token = await mintToken({ publish: ['*'] });
});

afterAll(() => gw.close());

test.each([
  ['a surrogate encoded as UTF-8 bytes', Buffer.from([0xed, 0xa0, 0x80])],
  ['a Latin-1 byte', Buffer.from([0xe9])],
  ['a truncated sequence', Buffer.from([0xf0, 0x9f, 0x98])],
])('a body that is not UTF-8 (%s in a string) is a 400, not a silent U+FFFD', async (_name, bad) => {
  const body = Buffer.concat([
    Buffer.from('{"channel":"execution:1","type":"execution.log","data":{"executionId":"1","level":"info","message":"'),
    bad,
    Buffer.from('"}}'),
  ]);
  const response = await fetch(`${gw.url}/v1/publish`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
  expect(response.status).toBe(400);
  expect(((await response.json()) as { error: { code: string } }).error.code).toBe('bad_request');
});
