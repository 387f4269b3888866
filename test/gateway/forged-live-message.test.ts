// A live message that is well formed but was never stored — written by hand with
// `PUBLISH <prefix>:{ch}:live`, with an id far in the future and a `prev` that does not follow — is
// held, the channel reads history (where it is not), and it must then be dropped: delivered, its id
// would become the channel's position and every real event after it would count as "already
// delivered" on this gateway (found while fuzzing live bus messages).
import { envelopeBody, envelopeJson } from '@sse-gateway/publisher/protocol';
import { startRedisGateway, type RedisGateway } from '../helpers/redis-gateway';
import { mintToken } from '../helpers/tokens';
import { captureStream } from '../conformance/support/raw-stream';

const CHANNEL = 'pending:forged';
let rig: RedisGateway;

beforeAll(async () => {
  rig = await startRedisGateway('pendingforged');
});

afterAll(() => rig.close());

test('a live message that was never stored does not silence the real events after it', async () => {
  const stream = await captureStream(rig.gw.url, `/v1/stream?channel=${CHANNEL}`, { authorization: `Bearer ${await mintToken({ subscribe: [CHANNEL] })}` });
  const log = (message: string) => ({ channel: CHANNEL, type: 'execution.log', data: { executionId: '1', level: 'info', message } });
  try {
    await rig.sdk.publish(log('first'));
    await stream.waitForEvents(1);
    const forged = envelopeJson('9999999999999-0', envelopeBody(CHANNEL, 'execution.log', '2026-01-01T00:00:00.000Z', JSON.stringify(log('forged').data)));
    await rig.redis.publish(rig.keys.liveChannel(CHANNEL), `5-5 ${forged}`);
    for (const message of ['real 0', 'real 1', 'real 2']) await rig.sdk.publish(log(message));
    await stream.waitForEvents(4, 5000);
    const messages = stream.parsed.events.map((event) => (JSON.parse(event.data) as { data: { message: string } }).data.message);
    expect(messages).toEqual(['first', 'real 0', 'real 1', 'real 2']);
  } finally {
    stream.close();
  }
});
