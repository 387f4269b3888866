// Provides the Redis the tests share, exported as SSE_TEST_REDIS_URL: REDIS_URL when set, else a
// redis-server started here on a free port, else a testcontainers Redis. Test files isolate
// themselves with their own key prefix (see ./redis.ts); tests that restart Redis start their own.
import { startRedisServer, type RedisServer } from './redis-server';
import { createRunDir } from './scratch';

declare global {
  var __SSE_TEST_REDIS__: RedisServer | undefined;
  var __SSE_TEST_RUN_DIR__: string | undefined;
}

export default async function globalSetup(): Promise<void> {
  globalThis.__SSE_TEST_RUN_DIR__ = createRunDir();
  if (process.env['REDIS_URL']) {
    process.env['SSE_TEST_REDIS_URL'] = process.env['REDIS_URL'];
    return;
  }
  const server = await startRedisServer();
  globalThis.__SSE_TEST_REDIS__ = server;
  process.env['SSE_TEST_REDIS_URL'] = server.url;
}
