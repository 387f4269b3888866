// Shared by the resume tests: many clients on a mix of channels, and an exact check of what each
// received against what each channel holds.
import type { Redis } from 'ioredis';
import { createKeyspace } from '@sse-gateway/publisher/protocol';
import { SseClient } from '../helpers/sse-client';
import { waitFor } from '../helpers/wait-for';

export interface Fleet {
  clients: { client: SseClient; channels: string[] }[];
  close(): void;
}

/** `count` clients: every third follows two channels, the rest one. */
export async function openFleet(url: string, token: string, channels: string[], count: number): Promise<Fleet> {
  const clients = Array.from({ length: count }, (_, k) => {
    const mine = k % 3 === 0 ? [channels[k % channels.length] as string, channels[(k + 3) % channels.length] as string] : [channels[k % channels.length] as string];
    return { client: new SseClient(url, { channels: mine, token }), channels: mine };
  });
  await Promise.all(clients.map(({ client }) => client.waitForOpen(20000)));
  return { clients, close: () => clients.forEach(({ client }) => client.close()) };
}

/** Every id of `channel`'s history stream, oldest first: the truth to compare with. */
export async function storedIds(redis: Redis, prefix: string, channel: string): Promise<string[]> {
  const entries = await redis.xrange(createKeyspace(prefix).historyKey(channel), '-', '+');
  return entries.map(([id]) => id);
}

/**
 * Waits until every client holds as many events as its channels hold, then checks each received
 * exactly the stored events of each of its channels, once, in order.
 */
/** Which expected ids the first lagging clients lack, for a useful failure message. */
function missingReport(fleet: Fleet, expected: ReadonlyMap<string, readonly string[]>): string {
  return fleet.clients
    .flatMap(({ client, channels }) =>
      channels.map((channel) => {
        const ids = client.published.filter((e) => e.data.channel === channel).map((e) => e.data.id as string);
        const got = new Set(ids);
        const want = expected.get(channel) ?? [];
        const missing = want.filter((id) => !got.has(id));
        const unexpected = ids.filter((id) => !want.includes(id));
        const duplicates = ids.length - got.size;
        if (missing.length === 0 && unexpected.length === 0 && duplicates === 0) return '';
        return `${channel}: missing ${missing.length} of ${want.length} (first ${missing[0]}, last ${missing[missing.length - 1]}), unexpected ${unexpected.length} (first ${unexpected[0]}), duplicates ${duplicates}, last received ${ids[ids.length - 1]} (opens ${client.opens}, gaps ${client.events.filter((e) => e.type === 'gateway.gap').length})`;
      }),
    )
    .filter(Boolean)
    .slice(0, 6)
    .join('; ');
}

export async function expectExactDelivery(fleet: Fleet, expected: ReadonlyMap<string, readonly string[]>, timeoutMs = 30000): Promise<void> {
  const want = (channels: string[]): number => channels.reduce((n, c) => n + (expected.get(c)?.length ?? 0), 0);
  await waitFor(() => fleet.clients.every(({ client, channels }) => client.published.length >= want(channels)), {
    timeoutMs,
    detail: () => missingReport(fleet, expected),
    message: `every client to have all its events (behind: ${fleet.clients
      .filter(({ client, channels }) => client.published.length < want(channels))
      .map(({ client, channels }) => `${channels.join('+')} ${client.published.length}/${want(channels)}`)
      .slice(0, 5)
      .join(', ')})`,
  });
  for (const { client, channels } of fleet.clients) {
    for (const channel of channels) {
      const got = client.published.filter((e) => e.data.channel === channel).map((e) => e.data.id);
      expect({ channel, ids: got }).toEqual({ channel, ids: expected.get(channel) });
    }
    expect(client.published).toHaveLength(want(channels));
    // History was never trimmed here: nothing may claim a gap.
    expect(client.events.filter((e) => e.type === 'gateway.gap')).toEqual([]);
  }
}
