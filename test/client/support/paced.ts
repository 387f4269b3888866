// A worker's pace for the long-running tests: `count` events, one every `everyMs`.
import type { Publisher } from '@sse-gateway/publisher';

/** Publishes `count` `execution.log` events round-robin over `channels`; resolves with the ids by channel. */
export async function publishPaced(publisher: Publisher, channels: readonly string[], count: number, everyMs: number): Promise<Map<string, string[]>> {
  const ids = new Map(channels.map((channel) => [channel, [] as string[]]));
  for (let n = 0; n < count; n++) {
    const channel = channels[n % channels.length] as string;
    const { id } = await publisher.publish({ channel, type: 'execution.log', data: { executionId: 'paced', level: 'info', message: `event ${n}` } });
    ids.get(channel)?.push(id);
    await new Promise((resolve) => setTimeout(resolve, everyMs)); // the pace of a worker, not a wait for a result
  }
  return ids;
}

export const countIds = (ids: ReadonlyMap<string, readonly string[]>): number => [...ids.values()].reduce((n, list) => n + list.length, 0);
