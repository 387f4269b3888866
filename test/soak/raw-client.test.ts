// The soak's raw client against real gateways: a reader that pauses while its gateway shuts down
// (the connection closes) must not read what was still buffered on that stream once it has
// resumed on the next gateway — that replayed events after newer ones, a false "out of order" in
// an early soak.
import { ClientKit } from '../../soak/lib/client-kit';
import { PublisherFleet } from '../../soak/lib/publishers';
import { RawClient } from '../../soak/lib/raw-client';
import { SCHEMAS_DIR } from '../../soak/lib/soak';
import { Tally } from '../../soak/lib/tally';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { testRedisUrl, uniquePrefix } from '../helpers/redis';
import { TEST_JWT_SECRET } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';

describe('the soak raw client', () => {
  let gateway: TestGateway | undefined;
  let next: TestGateway | undefined;
  let fleet: PublisherFleet | undefined;
  let client: RawClient | undefined;

  afterEach(async () => {
    client?.stop();
    await fleet?.stop();
    await gateway?.close();
    await next?.close();
  });

  it('drops what a paused stream still held when it ended, and resumes from what it read', async () => {
    gateway = await startGateway({ REDIS_URL: testRedisUrl(), SCHEMAS_DIR, RETRY_MS: '100' });
    const channel = `soak:${uniquePrefix('raw')}`;
    const publisherTally = new Tally();
    fleet = new PublisherFleet([{ name: channel, path: 'sdk', rate: 100, maxLen: 100_000 }], {
      redisUrl: testRedisUrl(), baseUrl: gateway.url, jwtSecret: TEST_JWT_SECRET, schemasDir: SCHEMAS_DIR, tally: publisherTally, onStatus: () => undefined,
    });
    fleet.start();
    const url = new URL(gateway.url);
    const kit = new ClientKit(url.hostname, Number(url.port), TEST_JWT_SECRET, 100);
    client = new RawClient({ name: 'r', channels: [channel], start: 'live', state: false, tokenTtlS: 3600, slow: false, awayEveryMs: 0, awayForMs: 0, quitter: false }, kit);
    await client.start();
    await waitFor(() => client!.channelChecks[0]!.delivered >= 50, { message: 'the first events' });
    // Not reading for 3 s: the gateway ends the stream and closes the connection meanwhile, and
    // the next gateway takes over on the same port.
    client.pause(3000);
    await gateway.close();
    next = await startGateway({ REDIS_URL: testRedisUrl(), SCHEMAS_DIR, RETRY_MS: '100', PORT: url.port });
    const before = client.channelChecks[0]!.delivered;
    await waitFor(() => client!.channelChecks[0]!.delivered >= before + 500, { timeoutMs: 20000, message: 'events on the new stream, after the old one resumed' });
    await fleet.stop();
    const last = fleet.last(channel).id!;
    await waitFor(() => client!.channelChecks[0]!.position === last, { message: 'the last event' });
    client.channelChecks[0]!.finish(last);
    expect(kit.tally.snapshot.examples).toEqual([]);
    expect(kit.tally.totalViolations).toBe(0);
    expect(publisherTally.totalViolations).toBe(0);
  }, 40000);
});
