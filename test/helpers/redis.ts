import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis shared by the test run (see global-setup.ts). */
export function testRedisUrl(): string {
  const url = process.env['SSE_TEST_REDIS_URL'];
  if (!url) throw new Error('SSE_TEST_REDIS_URL is not set: run the tests through jest (global setup)');
  return url;
}

/** A key prefix no other test uses, so test files can share one Redis and run in parallel. */
export function uniquePrefix(name: string): string {
  return `t-${name.replace(/[^A-Za-z0-9]/g, '')}-${randomBytes(4).toString('hex')}`;
}

/** A plain connection for assertions; close it with `quit()`. */
export function connectRedis(url = testRedisUrl()): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1 });
}
