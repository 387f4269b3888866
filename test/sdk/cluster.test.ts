// The SDK on Redis Cluster ({ redis: Cluster }): a batch over channels on different shards is
// split per channel, each part one script call on its own node, announced with SPUBLISH.
import { Cluster } from 'ioredis';
import { createPublisher } from '@sse-gateway/publisher';
import { createKeyspace, historyEntryOf } from '@sse-gateway/publisher/protocol';
import { waitFor } from '../helpers/wait-for';
import { clusterPerFile } from '../helpers/redis-cluster';
import { statusEvent } from '../helpers/events';

const cluster = clusterPerFile();

async function connect(enableAutoPipelining: boolean): Promise<Cluster> {
  const client = new Cluster(cluster().nodes, { enableAutoPipelining });
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve);
    client.once('error', reject);
  });
  return client;
}

// With auto-pipelining, ioredis groups commands by the slot of their first key; the SDK must
// call the script in a form whose keys ioredis can find (EVALSHA), or the parts of a batch land
// in one pipeline across slots.
test.each([
  ['without', false],
  ['with', true],
])('publishMany over channels on different slots stores each in its own stream and SPUBLISHes it (%s auto-pipelining)', async (_what, autoPipelining) => {
  const client = await connect(autoPipelining);
  try {
    await publishAcrossShards(client, `cl${autoPipelining ? 'a' : 'm'}`);
    // The caller's Cluster connection stays open.
    expect(client.status).toBe('ready');
  } finally {
    await client.quit();
  }
});

async function publishAcrossShards(client: Cluster, keyPrefix: string): Promise<void> {
  const keyspace = createKeyspace(keyPrefix);
  const channels = ['execution:1', 'execution:2', 'execution:3', 'crew:7:runs'];
  // Each channel's stream and live channel share a slot (the hash tag); the channels differ.
  const slots = await Promise.all(channels.map((c) => client.cluster('KEYSLOT', keyspace.historyKey(c))));
  expect(new Set(slots).size).toBeGreaterThan(1);
  for (const [i, c] of channels.entries()) expect(await client.cluster('KEYSLOT', keyspace.liveChannel(c))).toBe(slots[i]);

  const subscriber = new Cluster(cluster().nodes, { shardedSubscribers: true });
  const received = new Map<string, string[]>();
  subscriber.on('smessage', (live: string, message: string) => {
    received.set(live, [...(received.get(live) ?? []), message]);
  });
  const publisher = createPublisher({ redis: client, keyPrefix });
  try {
    for (const c of channels) await subscriber.ssubscribe(keyspace.liveChannel(c));
    const events = Array.from({ length: 40 }, (_, i) => statusEvent(channels[i % channels.length] as string, String(i)));
    const { ids } = await publisher.publishMany(events);
    expect(ids).toHaveLength(40);

    for (const [k, channel] of channels.entries()) {
      const mine = ids.filter((_, i) => i % channels.length === k);
      const entries = (await client.xrange(keyspace.historyKey(channel), '-', '+')).map(([id, fields]) => historyEntryOf(id, fields));
      expect(entries.map((e) => e?.id)).toEqual(mine);
      expect(entries.map((e) => e?.prev)).toEqual(['0-0', ...mine.slice(0, -1)]);
      // Order within the channel follows the batch.
      expect(entries.map((e) => JSON.parse(e?.envelope ?? '{}').data.executionId)).toEqual(
        events.map((e, i) => [e, i] as const).filter(([, i]) => i % channels.length === k).map(([, i]) => String(i)),
      );
      const live = await waitFor(() => (received.get(keyspace.liveChannel(channel))?.length === 10 ? received.get(keyspace.liveChannel(channel)) : undefined), {
        message: `10 sharded messages on ${channel}`,
      });
      expect(live).toEqual(entries.map((e) => `${e?.prev} ${e?.envelope}`));
    }
  } finally {
    await publisher.close();
    await subscriber.quit();
  }
}
