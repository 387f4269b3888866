// The one way the hub reads a channel's history, for a channel catching up after a missed live
// message and for a client's replay alike: page by page, each page bounded in entries and bytes,
// and every entry checked against the one before it. Each stored entry carries the id of its
// predecessor (`prev`), so an entry that does not follow the last one read means events between
// them are gone (trimmed, expired, lost in a Redis restart): the reader says so with a
// `gateway.gap` item in place, whether that happens on the first page or in the middle of a long
// replay.
import type { Bus } from '../bus/bus';
import type { Metrics } from '../metrics';
import { gapNotice, itemFromHistory, type Item } from './items';

export interface HistoryPosition {
  /** The last id read: pages start after it. */
  after: string;
  /** The next entry must follow `after` directly; false only before the first entry of `earliest`. */
  contiguous: boolean;
}

export interface Page {
  /** Events in order, with a gap notice before any entry that does not follow the one before. */
  readonly items: Item[];
  /** Entries read (events that could not be used included). */
  readonly entries: number;
  /** Bytes of the page's envelopes. */
  readonly bytes: number;
}

export interface PageLimits {
  count: number;
  bytes: number;
}

/** Reads the page after `position` and moves `position` past it. */
export async function readPage(bus: Bus, channel: string, position: HistoryPosition, limits: PageLimits, metrics: Metrics): Promise<Page> {
  const entries = await bus.history(channel, position.after, limits.count, limits.bytes);
  const items: Item[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (position.contiguous && entry.prev !== position.after) {
      metrics.gaps.inc();
      items.push(gapNotice(channel, position.after, entry.id));
    }
    position.after = entry.id;
    position.contiguous = true;
    bytes += entry.envelope.length;
    const item = itemFromHistory(entry, channel);
    if (item === undefined) metrics.eventsDropped.inc({ reason: 'invalid_envelope' });
    else items.push(item);
  }
  return { items, entries: entries.length, bytes };
}
