// The subscriber side of a Redis deployment behind one small interface: plain pub/sub on a single
// server, sharded pub/sub (SSUBSCRIBE, one connection per master) on a Cluster. Channel names are
// always passed explicitly (never a pattern: ioredis 6.0.0 crashes on a bare PUNSUBSCRIBE).
import type { Cluster, Redis } from 'ioredis';

type MessageListener = (channel: Buffer, message: Buffer) => void;

export interface PubSubLink {
  /** Able to take (un)subscribe commands now. */
  readonly ready: boolean;
  /** Resolves once Redis confirmed the subscription. */
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  /** Called when server-side subscriptions may have been lost (a connection closed). */
  onLost(listener: () => void): void;
  /** Called when it is worth (re)subscribing: a connection became ready again. */
  onUp(listener: () => void): void;
  /** Raw Buffers, never decoded here. */
  onMessage(listener: MessageListener): void;
}

export function standaloneLink(redis: Redis): PubSubLink {
  return {
    get ready() {
      return redis.status === 'ready';
    },
    subscribe: (channel) => redis.subscribe(channel),
    unsubscribe: (channel) => redis.unsubscribe(channel),
    onLost: (listener) => void redis.on('close', listener),
    onUp: (listener) => void redis.on('ready', listener),
    onMessage: (listener) => void redis.on('messageBuffer', listener),
  };
}

/** Needs a Cluster created with `shardedSubscribers: true` (else SSUBSCRIBE loops on MOVED). */
export function clusterLink(cluster: Cluster): PubSubLink {
  return {
    get ready() {
      return cluster.status === 'ready';
    },
    subscribe: (channel) => cluster.ssubscribe(channel),
    unsubscribe: (channel) => cluster.sunsubscribe(channel),
    onLost(listener) {
      // '-node': a shard's subscriber connection (or a pooled node) ended; ioredis replaces it
      // after a slot refresh and says 'subscribersReady'.
      for (const event of ['-node', 'close', 'reconnecting']) cluster.on(event, listener);
    },
    onUp(listener) {
      for (const event of ['ready', 'subscribersReady']) cluster.on(event, listener);
    },
    onMessage: (listener) => void cluster.on('smessageBuffer', listener),
  };
}

/** How long close waits for a client's 'end' after disconnect(). */
const END_WAIT_MS = 500;

/**
 * Closes a client: QUIT when connected, else disconnect() (which also stops reconnecting), then
 * waits for its 'end'. A client between reconnection attempts never says 'end', hence the bound.
 */
export async function closeClient(client: Redis | Cluster): Promise<void> {
  if (client.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  const ended = new Promise<void>((resolve) => {
    client.once('end', () => resolve());
    timer = setTimeout(resolve, END_WAIT_MS);
  });
  if (client.status === 'ready') {
    try {
      await client.quit();
    } catch {
      client.disconnect();
    }
  } else {
    client.disconnect();
  }
  await ended;
  clearTimeout(timer);
}
