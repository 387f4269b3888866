import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/** A Lua script with its SHA-1, for EVALSHA (`SCRIPT LOAD` returns the same). */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

export function luaScript(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * EVALSHA, and EVAL when the server does not know the script yet (first use, restart, SCRIPT
 * FLUSH). Not ioredis `defineCommand`: with auto-pipelining on a Cluster, ioredis routes a custom
 * command by its first argument (the key count), so calls for different slots shared one pipeline
 * and failed; EVALSHA/EVAL are routed by their real first key.
 */
export async function runScript(redis: Redis | Cluster, script: LuaScript, args: [number, ...(string | number)[]]): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return await redis.eval(script.source, ...args);
  }
}
