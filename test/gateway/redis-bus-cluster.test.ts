// RedisBus on a real 3-master Redis Cluster: sharded subscriptions land on the shard owning each
// channel, only while wanted, events on every shard are delivered, and cut subscriber
// connections are replaced and resubscribed.
import { Redis } from 'ioredis';
import { createKeyspace } from '@sse-gateway/publisher/protocol';
import { RedisBus } from '../../gateway/src/bus/redis-bus';
import { Inbox } from '../contract/bus-contract';
import { progressEvents } from '../helpers/events';
import { connectedBus } from '../contract/connected-bus';
import { uniquePrefix } from '../helpers/redis';
import { startRedisCluster, type RedisClusterServer } from '../helpers/redis-cluster';

let cluster: RedisClusterServer;
let masters: Redis[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster();
  masters = cluster.nodes.map((node) => new Redis(node.port, node.host, { maxRetriesPerRequest: 1 }));
}, 60000);

afterAll(async () => {
  await Promise.all(masters.map((master) => master.quit()));
  await cluster?.dispose();
});

/** Sharded channels under `prefix` subscribed on each master, in node order. */
function shardChannels(prefix: string): Promise<string[][]> {
  return Promise.all(masters.map(async (master) => (await master.pubsub('SHARDCHANNELS', `${prefix}:*`)).map(String)));
}

test('channels spread over the 3 shards are subscribed on their shard only while wanted, and all delivered', async () => {
  const keyPrefix = uniquePrefix('cluster');
  const keyspace = createKeyspace(keyPrefix);
  const bus = await connectedBus(new RedisBus({ mode: 'cluster', nodes: cluster.nodes }, { keyPrefix, historyMaxLen: 100, historyTtlS: 60 }));
  try {
    expect(bus.description).toBe('Redis Cluster (3 seed nodes)');
    const channels = Array.from({ length: 30 }, (_, i) => `exec:shard-${i}`);
    const inboxes = channels.map(() => new Inbox());
    await Promise.all(channels.map((channel, i) => bus.subscribe(channel, (inboxes[i] as Inbox).handler)));

    const perShard = await shardChannels(keyPrefix);
    expect(perShard.every((list) => list.length > 0)).toBe(true);
    expect(perShard.flat().sort()).toEqual(channels.map((channel) => keyspace.liveChannel(channel)).sort());

    const { ids } = await bus.publish(channels.flatMap((channel) => progressEvents(channel, 1)));
    await Promise.all(inboxes.map((inbox) => inbox.waitFor(1)));
    inboxes.forEach((inbox, i) => expect(inbox.ids(channels[i] as string)).toEqual([ids[i]]));

    await Promise.all(channels.map((channel) => bus.unsubscribe(channel)));
    expect((await shardChannels(keyPrefix)).flat()).toEqual([]);
  } finally {
    await bus.close();
  }
});

test('CLIENT KILL TYPE pubsub on every master: status false then true, subscriptions back, events delivered', async () => {
  const keyPrefix = uniquePrefix('clusterblip');
  const keyspace = createKeyspace(keyPrefix);
  const bus = await connectedBus(new RedisBus({ mode: 'cluster', nodes: cluster.nodes }, { keyPrefix, historyMaxLen: 100, historyTtlS: 60, onError: () => undefined }));
  try {
    const channels = Array.from({ length: 12 }, (_, i) => `exec:blip-${i}`);
    const inboxes = channels.map(() => new Inbox());
    await Promise.all(channels.map((channel, i) => bus.subscribe(channel, (inboxes[i] as Inbox).handler)));
    const seen: boolean[] = [];
    const recovered = new Promise<void>((resolve) =>
      bus.onStatus((connected) => {
        seen.push(connected);
        if (connected) resolve();
      }),
    );
    const killed = await Promise.all(masters.map((master) => master.call('CLIENT', 'KILL', 'TYPE', 'pubsub')));
    expect(killed.reduce((sum: number, n) => sum + Number(n), 0)).toBeGreaterThanOrEqual(3);
    await recovered;
    expect(seen).toEqual([false, true]);
    const subscribed = await Promise.all(masters.map(async (master) => (await master.pubsub('SHARDCHANNELS', `${keyPrefix}:*`)).map(String)));
    expect(subscribed.flat().sort()).toEqual(channels.map((channel) => keyspace.liveChannel(channel)).sort());
    const { ids } = await bus.publish(channels.flatMap((channel) => progressEvents(channel, 1)));
    await Promise.all(inboxes.map((inbox) => inbox.waitFor(1)));
    inboxes.forEach((inbox, i) => expect(inbox.ids(channels[i] as string)).toEqual([ids[i]]));
  } finally {
    await bus.close();
  }
});
