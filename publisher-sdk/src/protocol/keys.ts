// The one place that names things in Redis. The SDK and every gateway import it, so they agree byte
// for byte. Each channel's keys carry the channel in a {hash tag}: in Redis Cluster the history
// stream and the live pub/sub channel of a channel share one slot, so the publish script (which
// touches both) runs on one node and sharded pub/sub reaches the right shard.

/** The default prefix of every key and pub/sub channel. */
export const DEFAULT_KEY_PREFIX = 'sse';

const PREFIX_PATTERN = /^[A-Za-z0-9:._-]{1,64}$/;

export interface Keyspace {
  readonly prefix: string;
  /** The Redis stream holding a channel's retained events. */
  historyKey(channel: string): string;
  /** The pub/sub channel that announces a channel's new events. */
  liveChannel(channel: string): string;
  /** The event channel a live pub/sub channel belongs to, or undefined when it is not one of ours. */
  channelOfLive(liveChannel: string): string | undefined;
}

export function isKeyPrefix(value: string): boolean {
  return PREFIX_PATTERN.test(value);
}

/**
 * Key names under `prefix` (default `sse`):
 * history stream `<prefix>:{<channel>}:history`, live pub/sub channel `<prefix>:{<channel>}:live`.
 */
export function createKeyspace(prefix: string = DEFAULT_KEY_PREFIX): Keyspace {
  if (!isKeyPrefix(prefix)) {
    throw new RangeError(`key prefix must match ${PREFIX_PATTERN.source}, got ${JSON.stringify(prefix)}`);
  }
  const head = `${prefix}:{`;
  const liveTail = '}:live';
  return {
    prefix,
    historyKey: (channel) => `${head}${channel}}:history`,
    liveChannel: (channel) => `${head}${channel}${liveTail}`,
    channelOfLive(liveChannel) {
      if (!liveChannel.startsWith(head) || !liveChannel.endsWith(liveTail)) return undefined;
      return liveChannel.slice(head.length, liveChannel.length - liveTail.length);
    },
  };
}
