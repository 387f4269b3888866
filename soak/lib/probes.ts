// Readings of the running system, from outside as an operator would take them: a gateway's
// /metrics, its process in /proc (resident memory, open files, which TCP ports its sockets
// use), and Redis's own view of its pub/sub clients.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { createKeyspace } from '@sse-gateway/publisher/protocol';
import { rssBytes } from '../../bench/lib/proc';
import { metricValue } from '../../test/helpers/metrics';
import type { RedisView } from './held-check';

interface GatewayMetrics {
  connections: number;
  busSubscriptions: number;
}

export async function scrapeGateway(url: string): Promise<GatewayMetrics | undefined> {
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(3000) });
    const text = await response.text();
    return { connections: metricValue(text, 'sse_connections'), busSubscriptions: metricValue(text, 'sse_bus_subscriptions') };
  } catch {
    return undefined;
  }
}

interface ProcessReading {
  rss: number;
  fds: number;
}

/** RSS and open files of `pid`, undefined when it is gone. */
export function readProcess(pid: number): ProcessReading | undefined {
  try {
    return { rss: rssBytes(pid), fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return undefined;
  }
}

/** The local TCP ports of `pid`'s sockets (from its fds' inodes and /proc/net/tcp). */
export function localPorts(pid: number): Set<number> {
  const inodes = new Set<string>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return new Set();
  }
  for (const fd of fds) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (link.startsWith('socket:[')) inodes.add(link.slice(8, -1));
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (fields.length > 9 && inodes.has(fields[9]!)) ports.add(parseInt(fields[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/** `sub=` of each pub/sub client of Redis, by the client's own port. */
export async function subscriberPorts(redis: Redis): Promise<Map<number, number>> {
  const list = (await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
  const byPort = new Map<number, number>();
  for (const line of list.split('\n')) {
    const addr = /(?:^| )addr=[^ ]*:(\d+)(?: |$)/.exec(line);
    const sub = /(?:^| )sub=(\d+)(?: |$)/.exec(line);
    if (addr !== null && sub !== null) byPort.set(Number(addr[1]), Number(sub[1]));
  }
  return byPort;
}

/** Redis's pub/sub channels under the soak's keyspace, and the subscriber count of each of `channels`. */
export async function redisView(redis: Redis, channels: readonly string[]): Promise<RedisView> {
  const keyspace = createKeyspace();
  const live = (await redis.pubsub('CHANNELS', `${keyspace.prefix}:{*}:live`)) as string[];
  const names = new Set(live.map((key) => key.slice(keyspace.prefix.length + 2, -'}:live'.length)));
  const subscribers = new Map<string, number>();
  if (channels.length > 0) {
    const reply = (await redis.pubsub('NUMSUB', ...channels.map((c) => keyspace.liveChannel(c)))) as (string | number)[];
    for (let i = 0; i + 1 < reply.length; i += 2) subscribers.set(channels[i / 2]!, Number(reply[i + 1]));
  }
  return { channels: names, subscribers };
}
