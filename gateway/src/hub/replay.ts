// Starting a stream without a gap or a duplicate: the connection joined its channels with live
// items held; here each channel's history after the client's position is written, then the held
// items newer than what was written are released and the channel goes live for this connection.
import { compareParts, formatStreamId, parseStreamId, type StreamIdParts } from '@sse-gateway/publisher/protocol';
import { GatewayError } from '../errors';
import type { Connection } from '../sse/connection';
import type { ChannelHash } from '../sse/cursor';
import type { Subscriber } from './channel';
import type { Hub } from './hub';
import { gapNotice, itemFromHistory } from './items';

const ZERO: StreamIdParts = { ms: 0, seq: 0 };

/** What the client asked to resume from. */
export type Resume = { kind: 'live' } | { kind: 'earliest' } | { kind: 'cursor'; positions: ReadonlyMap<ChannelHash, StreamIdParts> };

/**
 * Sets each channel's starting position: the cursor's (checked against the stream's head: a
 * position from the future is a 400), the oldest retained for `earliest`, or the channel's current
 * position (live). A cursor may omit channels (they start live) and name others (ignored).
 */
export async function startPositions(hub: Hub, connection: Connection, resume: Resume): Promise<void> {
  await Promise.all(
    connection.channels.map(async (name, index) => {
      const channel = hub.channel(name);
      if (channel === undefined) throw new Error(`not joined to ${name}`);
      const subscriber = connection.memberships[index] as Subscriber;
      const wanted = resume.kind === 'earliest' ? ZERO : resume.kind === 'cursor' ? resume.positions.get(connection.hashes[index] as ChannelHash) : undefined;
      if (wanted === undefined) {
        connection.positions[index] = channel.lastParts;
        return;
      }
      if (compareParts(wanted, channel.lastParts) > 0) {
        // Ahead of what this gateway delivered: in flight here, or from the future.
        const head = await hub.bus.head(name);
        const headParts = head === undefined ? undefined : parseStreamId(head);
        if (headParts === undefined || compareParts(wanted, headParts) > 0) {
          throw new GatewayError('bad_cursor', `the cursor's position on channel ${name} is beyond its last event`);
        }
        subscriber.floor = wanted;
      }
      connection.positions[index] = wanted;
    }),
  );
}

/** Replays each channel from its starting position, then releases it to live delivery. Resolves with the number of events replayed. */
export async function replayAndRelease(hub: Hub, connection: Connection, earliest: boolean): Promise<number> {
  let replayed = 0;
  for (let index = 0; index < connection.channels.length && !connection.closed; index++) {
    replayed += await replayChannel(hub, connection, index, earliest);
    release(connection, connection.memberships[index] as Subscriber);
  }
  return replayed;
}

async function replayChannel(hub: Hub, connection: Connection, index: number, earliest: boolean): Promise<number> {
  const name = connection.channels[index] as string;
  const channel = hub.channel(name);
  const from = connection.positions[index] as StreamIdParts;
  if (channel === undefined || compareParts(from, channel.lastParts) >= 0) return 0;
  const target = channel.lastParts; // newer events are held in `pending`
  let after = formatStreamId(from);
  let replayed = 0;
  for (let first = true; ; first = false) {
    const page = await hub.bus.history(name, after, hub.historyPageSize);
    if (connection.closed) return replayed;
    if (first && !earliest && page[0]?.prev !== after) {
      hub.metrics.gaps.inc();
      connection.sendNotice(gapNotice(name, after, page[0]?.id ?? null));
    }
    for (const entry of page) {
      const item = itemFromHistory(entry);
      if (item === undefined) continue;
      if (compareParts(item.idParts, target) > 0) return replayed;
      connection.sendEvent(index, item.idParts, item);
      replayed++;
    }
    const last = page[page.length - 1];
    if (last === undefined || page.length < hub.historyPageSize) return replayed;
    after = last.id;
    await connection.drained();
  }
}

/** Writes what was held during the replay (newer than the position reached), then goes live. */
function release(connection: Connection, subscriber: Subscriber): void {
  const pending = subscriber.pending ?? [];
  subscriber.pending = undefined;
  for (const item of pending) {
    if (item.kind === 'notice') connection.sendNotice(item);
    else if (compareParts(item.idParts, connection.positions[subscriber.index] as StreamIdParts) > 0) {
      connection.sendEvent(subscriber.index, item.idParts, item);
    }
  }
}
