// Short-lived tokens in Node: the client reopens the stream with a fresh token shortly before each
// token's `exp`, resuming from its cursor; when a token is too short-lived for that, the gateway's
// `gateway.token_expired` triggers the refresh. Either way every event arrives once, in order,
// and the gateway never sees an expired token.
// The worker publishes into Redis, not over HTTP: a gateway that ends a stream closes its
// connection after a complete keep-alive response, and Node's fetch pool (shared in this process)
// may hand that connection to a publish at that moment.
import { connect, type Stream } from '@sse-gateway/client';
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { testRedisUrl, uniquePrefix } from '../helpers/redis';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';
import { countIds, publishPaced } from './support/paced';
import { record } from './support/recorder';
import { recordingProxy, streamRequests, type RecordingProxy, type SeenRequest } from './support/requests';

jest.setTimeout(40000);

const CHANNELS = ['execution:client-tok-a', 'execution:client-tok-b'];

let gw: TestGateway;
/** The client talks to the gateway through it: it records what reached the gateway. */
let proxy: RecordingProxy;
let requests: SeenRequest[];
let publisher: Publisher;
let stream: Stream | undefined;

beforeEach(async () => {
  const prefix = uniquePrefix('clienttokens');
  gw = await startGateway({ RETRY_MS: '200', REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix });
  proxy = await recordingProxy(gw.url);
  requests = proxy.requests;
  publisher = createPublisher({ redisUrl: testRedisUrl(), keyPrefix: prefix });
});

afterEach(async () => {
  stream?.close();
  await publisher.close();
  await proxy.close();
  await gw.close();
});

/** Closing reasons the gateway logged for streams. */
const closeReasons = (): string[] =>
  gw.logs.map((line) => JSON.parse(line) as { message?: string; reason?: string }).filter((entry) => entry.message === 'stream closed').map((entry) => entry.reason ?? '');

async function streamFor(ttlS: number, durationMs: number): Promise<{ calls: number; statuses: (number | undefined)[] }> {
  let calls = 0;
  stream = connect({ url: proxy.url, channels: CHANNELS, token: () => (calls++, mintToken({ subscribe: ['execution:*'], ttlS })) });
  const seen = record(stream);
  await seen.waitForState('open');
  const published = await publishPaced(publisher, CHANNELS, durationMs / 100, 100);
  const total = countIds(published);
  await seen.waitForEvents(total);
  for (const channel of CHANNELS) {
    expect({ channel, ids: seen.events.filter((e) => e.channel === channel).map((e) => e.id) }).toEqual({ channel, ids: published.get(channel) });
  }
  expect(seen.events).toHaveLength(total);
  expect(seen.errors).toEqual([]);
  return { calls, statuses: streamRequests(requests).map((r) => r.status) };
}

test('3-second tokens for 8 seconds: the stream reopens before each exp, nothing lost or repeated', async () => {
  const { calls, statuses } = await streamFor(3, 8000);
  expect(calls).toBeGreaterThanOrEqual(3);
  // The gateway never refused a request: no stream was ever opened with an expired token.
  expect(statuses).toEqual(statuses.map(() => 200));
  expect(streamRequests(requests).length).toBe(calls);
  // Every earlier stream was ended by the client, before the gateway had to expire it.
  await waitFor(() => closeReasons().length >= calls - 1, { message: 'the gateway to log the ended streams' });
  expect(closeReasons()).not.toContain('token_expired');
  expect(streamRequests(requests).slice(1).every((r) => r.lastEventId !== undefined)).toBe(true);
});

test('1-second tokens (too short to refresh early): gateway.token_expired brings a fresh token, nothing lost or repeated', async () => {
  const { calls, statuses } = await streamFor(1, 5000);
  expect(calls).toBeGreaterThanOrEqual(3);
  // `exp` counts in whole seconds: a token minted late in a second may be expired on arrival (401).
  // The fresh token after it was accepted every time.
  expect(statuses.filter((status, i) => status !== 200 && !(status === 401 && statuses[i + 1] === 200))).toEqual([]);
  expect(closeReasons().filter((reason) => reason === 'token_expired').length).toBeGreaterThanOrEqual(2);
});
