// The Redis layout as docs/redis-layout.md describes it, exercised without the SDK: what a worker
// in another language does (raw EVAL of the script, a hand-built body) is accepted by the
// gateway's parser and matches the envelope schema. And the page quotes the script verbatim.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { compileEnvelopeValidator } from '@sse-gateway/schemas';
import { createKeyspace, historyEntryOf, parseLiveMessage, PUBLISH_SCRIPT } from '@sse-gateway/publisher/protocol';
import { Redis } from 'ioredis';
import { connectRedis, testRedisUrl, uniquePrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait-for';

test('docs/redis-layout.md quotes the publish script verbatim', () => {
  const doc = readFileSync(resolve(__dirname, '../../docs/redis-layout.md'), 'utf8');
  expect(doc).toContain(PUBLISH_SCRIPT.trim());
});

test('a raw EVAL with a hand-built body, as a non-TypeScript worker would, is what gateways expect', async () => {
  const keyspace = createKeyspace(uniquePrefix('layout'));
  const redis = connectRedis();
  const subscriber = new Redis(testRedisUrl());
  const received: Buffer[] = [];
  subscriber.on('messageBuffer', (_channel: Buffer, raw: Buffer) => received.push(raw));
  try {
    await subscriber.subscribe(keyspace.liveChannel('execution:42'));
    const time = new Date().toISOString();
    // Compact JSON of { channel, type, time, data } without its opening brace.
    const body = JSON.stringify({ channel: 'execution:42', type: 'execution.status', time, data: { executionId: '42', status: 'running' } }).slice(1);
    const history = keyspace.historyKey('execution:42');
    const state = keyspace.stateKey('execution:42');
    const live = keyspace.liveChannel('execution:42');
    // No idempotency key (its KEYS slot repeats the stream, its TTL is 0), not retained.
    const args = [3, history, state, history, 1000, 86400, 'PUBLISH', 604800, live, 'execution.status', 0, 0, body] as const;
    const first = (await redis.eval(PUBLISH_SCRIPT, ...args)) as [string, number];
    const second = (await redis.eval(PUBLISH_SCRIPT, ...args)) as [string, number];
    expect([first[1], second[1]]).toEqual([0, 0]);

    await waitFor(() => received.length === 2, { message: 'two live messages' });
    const parsed = received.map((raw) => parseLiveMessage(raw, 'execution:42'));
    expect(parsed).toEqual([
      { ok: true, message: expect.objectContaining({ prev: '0-0', id: first[0], type: 'execution.status', time }) },
      { ok: true, message: expect.objectContaining({ prev: first[0], id: second[0] }) },
    ]);

    const entries = (await redis.xrange(history, '-', '+')).map(([id, fields]) => historyEntryOf(id, fields));
    expect(entries.map((e) => e?.prev)).toEqual(['0-0', first[0]]);
    const validate = compileEnvelopeValidator();
    for (const [i, entry] of entries.entries()) {
      expect(validate(JSON.parse(entry?.envelope ?? ''))).toEqual([]);
      // The stream rebuilds exactly the bytes that were announced.
      expect(received[i]?.toString('utf8')).toBe(`${entry?.prev} ${entry?.envelope}`);
    }
    expect(await redis.ttl(history)).toBeGreaterThan(86000);
  } finally {
    await subscriber.quit();
    await redis.quit();
  }
});
