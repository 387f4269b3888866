import { createPublisher } from '@sse-gateway/publisher';
import { createKeyspace } from '@sse-gateway/publisher/protocol';
import { connectRedis, testRedisUrl, uniquePrefix } from '../helpers/redis';

test('publish stores the event under its id', async () => {
  const keyPrefix = uniquePrefix('smoke');
  const publisher = createPublisher({ redisUrl: testRedisUrl(), keyPrefix });
  const redis = connectRedis();
  try {
    const { id } = await publisher.publish({ channel: 'execution:1', type: 'execution.status', data: { executionId: '1', status: 'running' } });
    const entries = await redis.xrange(createKeyspace(keyPrefix).historyKey('execution:1'), '-', '+');
    expect(entries.map(([entryId]) => entryId)).toEqual([id]);
  } finally {
    await publisher.close();
    await redis.quit();
  }
});
