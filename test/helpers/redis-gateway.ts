// A gateway on the test Redis under a key prefix of its own, with the two other ways into that
// Redis that tests hold it against: an SDK publisher with the same prefix, and a plain connection
// for writing what no publisher would (forged or broken live messages).
import type { Redis } from 'ioredis';
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { createKeyspace, type Keyspace } from '@sse-gateway/publisher/protocol';
import { startGateway, type TestGateway } from './gateway';
import { connectRedis, testRedisUrl, uniquePrefix } from './redis';

export interface RedisGateway {
  readonly gw: TestGateway;
  /** The Redis names under this gateway's prefix. */
  readonly keys: Keyspace;
  readonly redis: Redis;
  readonly sdk: Publisher;
  close(): Promise<void>;
}

/** `name` makes the key prefix (unique per call); `env` adds to the gateway's environment. */
export async function startRedisGateway(name: string, env: Record<string, string> = {}): Promise<RedisGateway> {
  const keys = createKeyspace(uniquePrefix(name));
  const gw = await startGateway({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: keys.prefix, ...env });
  const redis = connectRedis();
  const sdk = createPublisher({ redisUrl: testRedisUrl(), keyPrefix: keys.prefix });
  return {
    gw, keys, redis, sdk,
    async close() {
      await sdk.close();
      await redis.quit();
      await gw.close();
    },
  };
}
