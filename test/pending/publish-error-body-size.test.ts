// PENDING: not run by npm test (see test/pending/README.md); it fails until the fix lands.
// Found by fuzzing POST /v1/publish; the fix belongs in gateway/src/http/publish-route.ts (and
// the problem texts of schemas/src/registry.ts / publisher-sdk/src/protocol/validate.ts).
//
// A 400 `invalid_event` answer lists every problem of every event twice (in `message` and in
// `errors`), and echoes unknown property names whole. So the error body grows with the input:
// a 64 KB batch of `{}` gets a body ~40 times larger than what was sent, and one unknown 60 KB
// key comes back twice. The contract: at most 100 problems listed plus how many more, and an
// error body that stays small whatever the input.
import { startGateway, type TestGateway } from '../helpers/gateway';
import { testRedisUrl, uniquePrefix } from '../helpers/redis';
import { mintToken } from '../helpers/tokens';

const MAX_BYTES = 65536;
const SMALL = 16 * 1024;
let gw: TestGateway;
let token: string;

beforeAll(async () => {
  gw = await startGateway({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: uniquePrefix('pendingbody'), PUBLISH_MAX_BYTES: String(MAX_BYTES) });
  token = await mintToken({ publish: ['*'] });
});

afterAll(() => gw.close());

async function publish(body: string): Promise<{ status: number; size: number; errors: unknown }> {
  const response = await fetch(`${gw.url}/v1/publish`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
  const text = await response.text();
  return { status: response.status, size: Buffer.byteLength(text), errors: (JSON.parse(text) as { error: { errors?: unknown } }).error.errors };
}

test('a batch of many invalid events gets a small 400 listing at most 100 problems', async () => {
  const body = JSON.stringify(Array.from({ length: 20000 }, () => ({})));
  expect(body.length).toBeLessThan(MAX_BYTES);
  const answer = await publish(body);
  expect(answer.status).toBe(400);
  expect((answer.errors as unknown[]).length).toBeLessThanOrEqual(100);
  expect(answer.size).toBeLessThan(SMALL);
});

test('an unknown property with a huge name is not echoed whole', async () => {
  const key = 'k'.repeat(60000);
  const answer = await publish(JSON.stringify({ channel: 'execution:1', type: 'execution.log', data: { executionId: '1', level: 'info', message: 'm', [key]: 1 } }));
  expect(answer.status).toBe(400);
  expect(answer.size).toBeLessThan(SMALL);
});
