// Random valid events → published (SDK into Redis, or POST /v1/publish) → streamed → parsed by
// eventsource-parser (HTTP/1.1 and HTTP/1.0) and the `eventsource` package → equal, byte for
// byte, to their serialisation; and the same bytes cut anywhere parse to the same events. (Random
// garbage → a typed 4xx is test/fuzz/publish-http.test.ts.)
import { EventSource } from 'eventsource';
import fc from 'fast-check';
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { envelopeBody, envelopeJson } from '@sse-gateway/publisher/protocol';
import { asJson, validEvent, type TestEvent } from '../helpers/event-arbitraries';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { runs } from '../helpers/property';
import { testRedisUrl, uniquePrefix } from '../helpers/redis';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';
import { captureStream, captureStreamHttp10, type CapturedStream } from './support/raw-stream';
import { parseSse, splitAt } from './support/sse-parse';

const CHANNELS = ['conformance:p0', 'conformance:p1', 'conformance:p2'];
const TYPES = ['execution.status', 'execution.log', 'execution.output'];
let gw: TestGateway;
let sdk: Publisher;
let readToken: string;
let publishToken: string;

beforeAll(async () => {
  const prefix = uniquePrefix('conformanceprop');
  gw = await startGateway({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix });
  sdk = createPublisher({ redisUrl: testRedisUrl(), keyPrefix: prefix });
  readToken = await mintToken({ subscribe: ['conformance:*'] });
  publishToken = await mintToken({ publish: ['conformance:*'] });
});

afterAll(async () => {
  await sdk.close();
  await gw.close();
});

async function publish(events: TestEvent[], viaHttp: boolean): Promise<string[]> {
  if (!viaHttp) return (await sdk.publishMany(events)).ids;
  const response = await fetch(`${gw.url}/v1/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${publishToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { ids: string[] }).ids;
}

test('random valid events reach three parsers byte for byte, however the bytes are cut', async () => {
  const path = `/v1/stream?${CHANNELS.map((channel) => `channel=${channel}`).join('&')}`;
  const headers = { authorization: `Bearer ${readToken}` };
  const http11 = await captureStream(gw.url, path, headers);
  const http10 = await captureStreamHttp10(gw.url, path, headers);
  const pkgEvents: { type: string; data: string }[] = [];
  const pkg = new EventSource(`${gw.url}${path}`, { fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, ...headers } }) });
  for (const type of TYPES) pkg.addEventListener(type, (event) => pkgEvents.push({ type, data: event.data as string }));
  const streams: CapturedStream[] = [http11, http10];
  const expected: { type: string; channel: string; data: unknown; id: string }[] = [];
  try {
    await waitFor(() => pkg.readyState === EventSource.OPEN && streams.every((s) => s.parsed.retries.length === 1), { message: 'every reader to be open' });
    const batch = fc.array(validEvent.chain((event) => fc.nat({ max: 2 }).map((i) => ({ ...event, channel: CHANNELS[i] as string }))), { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(batch, fc.boolean(), async (events, viaHttp) => {
        const ids = await publish(events, viaHttp);
        expected.push(...events.map((event, i) => ({ ...event, id: ids[i] as string })));
        for (const stream of streams) await stream.waitForEvents(expected.length);
        for (const stream of streams) {
          const got = stream.parsed.events.slice(expected.length - events.length);
          got.forEach((event, i) => {
            const sent = events[i]!;
            const envelope = JSON.parse(event.data) as { id: string; time: string; data: unknown };
            expect(event.event).toBe(sent.type);
            expect(envelope).toEqual({ id: ids[i], channel: sent.channel, type: sent.type, time: envelope.time, data: asJson(sent.data) });
            expect(event.data).toBe(envelopeJson(ids[i] as string, envelopeBody(sent.channel, sent.type, envelope.time, JSON.stringify(sent.data))));
            expect(event.id).toMatch(/^[A-Za-z0-9_-]+$/);
          });
        }
      }),
      runs(80),
    );
    await waitFor(() => pkgEvents.length >= expected.length, { message: `${expected.length} events in the eventsource client` });
    const reference = http11.parsed.events.map(({ event, data }) => ({ type: event, data }));
    expect(http10.parsed.events.map(({ event, data }) => ({ type: event, data }))).toEqual(reference);
    expect(pkgEvents).toEqual(reference);

    // The same bytes, cut at random places (inside UTF-8 sequences and CRLFs too), parse the same.
    const whole = Buffer.concat(http11.chunks);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: whole.length }), { maxLength: 40 }), (cuts) => {
        const parsed = parseSse(splitAt(whole, cuts));
        expect(parsed.events).toEqual(http11.parsed.events);
        expect(parsed.errors).toEqual([]);
      }),
      runs(60),
    );
  } finally {
    for (const stream of streams) stream.close();
    pkg.close();
  }
});
