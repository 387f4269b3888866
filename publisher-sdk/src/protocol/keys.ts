// The one place that names things in Redis. The SDK and every gateway import it, so they agree byte
// for byte. Each channel's keys carry the channel in a {hash tag}: in Redis Cluster the history
// stream, the retained state, the idempotency keys and the live pub/sub channel of a channel share
// one slot, so the publish script (which touches them all) runs on one node and sharded pub/sub
// reaches the right shard.

/** The default prefix of every key and pub/sub channel. */
export const DEFAULT_KEY_PREFIX = 'sse';

const PREFIX_PATTERN = /^[A-Za-z0-9:._-]{1,64}$/;

export interface Keyspace {
  readonly prefix: string;
  /** The Redis stream holding a channel's retained events. */
  historyKey(channel: string): string;
  /** The pub/sub channel that announces a channel's new events. */
  liveChannel(channel: string): string;
  /** The hash of a channel's retained events: event type → envelope JSON. */
  stateKey(channel: string): string;
  /**
   * The string remembering which id an `idempotencyKey` produced on a channel. Redis hashes only
   * the first `{…}` of a name, so braces in `key` cannot move it out of the channel's slot.
   */
  idempotencyKey(channel: string, key: string): string;
}

export function isKeyPrefix(value: string): boolean {
  return PREFIX_PATTERN.test(value);
}

/**
 * Key names under `prefix` (default `sse`): history stream `<prefix>:{<channel>}:history`, live
 * pub/sub channel `<prefix>:{<channel>}:live`, retained state `<prefix>:{<channel>}:state`,
 * idempotency key `<prefix>:{<channel>}:idem:<key>`.
 */
export function createKeyspace(prefix: string = DEFAULT_KEY_PREFIX): Keyspace {
  if (!isKeyPrefix(prefix)) {
    throw new RangeError(`key prefix must match ${PREFIX_PATTERN.source}, got ${JSON.stringify(prefix)}`);
  }
  const head = `${prefix}:{`;
  return {
    prefix,
    historyKey: (channel) => `${head}${channel}}:history`,
    liveChannel: (channel) => `${head}${channel}}:live`,
    stateKey: (channel) => `${head}${channel}}:state`,
    idempotencyKey: (channel, key) => `${head}${channel}}:idem:${key}`,
  };
}
