// Starting a channel of a stream without a gap or a duplicate. The stream joined the channel with
// live items held (its membership's `pending`); here the channel's history from the stream's
// position up to what the channel had delivered is written, paced by the client's socket and
// bounded by the gateway's replay budget, then the held items newer than what was written are
// released and the channel goes live for the stream.
import { compareParts, formatStreamId, parseStreamId, type StreamIdParts } from '@sse-gateway/publisher/protocol';
import type { HistoryPosition } from './history-reader';
import type { Item } from './items';
import type { Membership } from './membership';
import type { Subscription } from './subscription';

/** Replays channel `index` of `sub` and makes it live. Stops quietly when the stream closes. */
export async function replayChannel(sub: Subscription, index: number): Promise<void> {
  const membership = sub.memberships[index] as Membership;
  const startGap = sub.startGaps[index];
  if (startGap !== undefined) sub.sendNotice(startGap);
  const position: HistoryPosition = {
    after: formatStreamId(sub.positions[index] as StreamIdParts),
    // `earliest` replays whatever is retained, without a gap for what was trimmed before it.
    contiguous: sub.request.resume.kind !== 'earliest',
  };
  do {
    membership.reread = false;
    // Live items newer than this wait in `pending`; items dropped from there are at or before it.
    const target = sub.channelOf(index).lastParts;
    if (!(await replayUpTo(sub, index, position, target))) return;
  } while (membership.reread);
  // Let the socket take the replay, then write what was held and go live, in one synchronous step
  // (what is held is at most half the client's buffer: with the replay sent, it fits).
  if (!(await sub.paced(0))) return;
  const pending = membership.takePending();
  membership.release();
  for (const item of pending) writeHeld(sub, index, item);
}

/** Writes history after `position` up to `target`. False when the stream closed. */
async function replayUpTo(sub: Subscription, index: number, position: HistoryPosition, target: StreamIdParts): Promise<boolean> {
  const name = sub.channels[index] as string;
  while (compareParts(parseStreamId(position.after) as StreamIdParts, target) < 0) {
    const page = await sub.readPage(name, position);
    if (page === undefined) return false;
    try {
      if (page.entries === 0) {
        // History ends before what the channel delivered: expired or deleted meanwhile.
        if (position.contiguous) sub.sendNotice(sub.gap(name, position.after, null));
        return true;
      }
      for (const item of page.items) {
        if (item.kind === 'event' && compareParts(item.idParts, target) > 0) return true;
        if (!(await sub.paced())) return false;
        if (item.kind === 'notice') sub.sendNotice(item);
        else sub.writeEvent(index, item, true);
      }
    } finally {
      sub.releaseGrant();
    }
  }
  return true;
}

/** A held live item: notices as they are, events only when newer than what was written. */
function writeHeld(sub: Subscription, index: number, item: Item): void {
  if (item.kind === 'notice') sub.sendNotice(item);
  else if (compareParts(item.idParts, sub.positions[index] as StreamIdParts) > 0) sub.writeEvent(index, item, false);
}
