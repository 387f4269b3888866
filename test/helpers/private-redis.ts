// A Redis server of a test file's own, with a plain connection to it: for tests that read what the
// server itself counted (INFO commandstats), or pause and kill its clients, which they may not do
// to the Redis the other test files share.
import type { Redis } from 'ioredis';
import { connectRedis } from './redis';
import { startRedisServer } from './redis-server';

export interface PrivateRedis {
  readonly url: string;
  readonly admin: Redis;
  /**
   * Calls per command since start or the last CONFIG RESETSTAT, without the admin's own INFO and
   * CONFIG. Commands run inside a script are counted too, each under its own name.
   */
  commandCalls(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const server = await startRedisServer();
  const admin = connectRedis(server.url);
  return {
    url: server.url,
    admin,
    async commandCalls() {
      const info = await admin.info('commandstats');
      const calls: Record<string, number> = {};
      for (const [, name, count] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
        if (name !== 'info' && !name?.startsWith('config')) calls[name as string] = Number(count);
      }
      return calls;
    },
    async close() {
      await admin.quit();
      await server.dispose();
    },
  };
}
