// Starting a channel of a stream without a gap or a duplicate. The stream joined the channel with
// live items held (its membership's `pending`); here the channel's history from the stream's
// position up to what the channel had delivered is written, paced by the client's socket and
// bounded by the gateway's replay budget, then the held items newer than what was written are
// released and the channel goes live for the stream.
//
// With `state=1` the channel's retained events come first — after a gap notice, before the first
// replayed event — those the client's cursor does not cover and the replay will not write: older
// than the first replayed event, and not newer than what the channel had delivered (newer ones
// are held in `pending`).
import { compareParts, formatStreamId, parseStreamId, type StreamIdParts } from '@sse-gateway/publisher/protocol';
import type { HistoryPosition } from './history-reader';
import type { EventItem, Item } from './items';
import type { Membership } from './membership';
import type { Retained, Subscription } from './subscription';

/** Replays channel `index` of `sub` and makes it live. Stops quietly when the stream closes. */
export async function replayChannel(sub: Subscription, index: number): Promise<void> {
  const membership = sub.memberships[index] as Membership;
  const startGap = sub.startGap(index);
  if (startGap !== undefined) sub.sendNotice(startGap);
  const position: HistoryPosition = {
    after: formatStreamId(membership.position),
    // `earliest` replays whatever is retained, without a gap for what was trimmed before it.
    contiguous: sub.request.resume.kind !== 'earliest',
  };
  const retained = sub.request.state ? await sub.retained(index) : undefined;
  if (sub.closed) return;
  let first = true;
  for (;;) {
    membership.reread = false;
    // Live items newer than this wait in `pending`; items dropped from there are at or before it.
    const target = sub.channelOf(index).lastParts;
    const state = first && retained !== undefined ? splitRetained(retained, target) : { before: [], after: [] };
    first = false;
    if (!(await replayUpTo(sub, index, position, target, state.before))) return;
    for (const item of state.after) sub.writeEvent(index, item, false);
    if (membership.reread) continue;
    // Let the socket take the replay (what is held is at most half the client's buffer: with the
    // replay sent, it fits). Live items keep coming meanwhile and may overflow what is held: then
    // they are read from history too, else they would be lost for good.
    if (!(await sub.paced(0))) return;
    if (!membership.reread) break;
  }
  // Synchronously after the check: nothing can be dropped between it and going live.
  const pending = membership.goLive();
  for (const item of pending) writeHeld(sub, index, item);
}

/**
 * Where each retained event goes. Up to `target` (what the channel had delivered) it is history:
 * placed before the first replayed event newer than it (the replay writes the others). Beyond the
 * stream's head it is in no history at all (expired or trimmed away while the state lived on): it
 * follows the replay. In between it is on its way to the channel, which hands it over with the
 * held live events.
 */
function splitRetained(retained: Retained, target: StreamIdParts): { before: EventItem[]; after: EventItem[] } {
  const before = retained.items.filter((item) => compareParts(item.idParts, target) <= 0);
  const after = retained.items.filter((item) => compareParts(item.idParts, target) > 0 && (retained.head === undefined || compareParts(item.idParts, retained.head) > 0));
  return { before, after };
}

/**
 * Writes history after `position` up to `target`, with the retained events of `state` older than
 * the first event written placed before it (all of them when no event is written). False when the
 * stream closed.
 */
async function replayUpTo(sub: Subscription, index: number, position: HistoryPosition, target: StreamIdParts, state: EventItem[]): Promise<boolean> {
  const name = sub.channels[index] as string;
  let retained: EventItem[] | undefined = state;
  const writeRetained = (before: StreamIdParts | undefined): void => {
    if (retained === undefined) return; // once per replayed event: no allocation once written
    for (const item of retained) if (before === undefined || compareParts(item.idParts, before) < 0) sub.writeEvent(index, item, false);
    retained = undefined;
  };
  while (compareParts(parseStreamId(position.after) as StreamIdParts, target) < 0) {
    const page = await sub.readPage(name, position);
    if (page === undefined) return false;
    try {
      if (page.entries === 0) {
        // History ends before what the channel delivered: expired or deleted meanwhile.
        if (position.contiguous) sub.sendNotice(sub.gap(name, position.after, null));
        break;
      }
      for (const item of page.items) {
        if (item.kind === 'event' && compareParts(item.idParts, target) > 0) {
          writeRetained(undefined);
          return true;
        }
        // Per replayed event: only a congested socket is worth a promise and its microtasks.
        if (sub.sink.congested ? !(await sub.paced()) : sub.closed) return false;
        if (item.kind === 'notice') sub.sendNotice(item);
        else {
          writeRetained(item.idParts);
          sub.writeEvent(index, item, true);
        }
      }
    } finally {
      sub.releaseGrant();
    }
  }
  writeRetained(undefined);
  return true;
}

/** A held live item: notices as they are, events only when newer than what was written. */
function writeHeld(sub: Subscription, index: number, item: Item): void {
  if (item.kind === 'notice') sub.sendNotice(item);
  else if (compareParts(item.idParts, (sub.memberships[index] as Membership).position) > 0) sub.writeEvent(index, item, false);
}
