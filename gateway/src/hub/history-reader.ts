// The one way the hub reads a channel's history, for a channel catching up after a missed live
// message and for a client's replay alike: page by page, each page bounded in entries and, by
// the size of the entries seen so far, in bytes; every entry checked against the one before it. Each stored entry carries the id of its
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
  /** The largest envelope read so far (bytes): sizes the next page. */
  largest?: number;
}

export interface Page {
  /** Events in order, with a gap notice before any entry that does not follow the one before. */
  readonly items: Item[];
  /** Entries read (events that could not be used included). */
  readonly entries: number;
  /** Bytes of the page's envelopes. */
  readonly bytes: number;
  /**
   * As many entries as were asked for: history may go on after the page. A shorter page read
   * history to its end, as it was at that read.
   */
  readonly full: boolean;
}

export interface PageLimits {
  /** Most entries a page holds. */
  count: number;
  /** Bytes a page should hold: with entries as large as the largest seen so far, it does. */
  bytes: number;
  /** The largest an entry can be expected to be (the first page assumes it). */
  entryBytes: number;
}

/**
 * Reads the page after `position` and moves `position` past it. Redis cannot cut a reply by size
 * (a Lua script that did made XRANGE 40 times slower with 15 KB entries), so the number of entries
 * asked for is what fits `limits.bytes` at the largest size seen so far: the first page assumes
 * the largest possible entry, the next ones what the history really holds.
 */
export async function readPage(bus: Bus, channel: string, position: HistoryPosition, limits: PageLimits, metrics: Metrics): Promise<Page> {
  const expected = position.largest ?? limits.entryBytes;
  const count = Math.max(1, Math.min(limits.count, Math.floor(limits.bytes / Math.max(1, expected))));
  const entries = await bus.history(channel, position.after, count);
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
    position.largest = Math.max(position.largest ?? 0, entry.envelope.length);
    const item = itemFromHistory(entry, channel);
    if (item === undefined) metrics.eventsDropped.inc({ reason: 'invalid_envelope' });
    else items.push(item);
  }
  return { items, entries: entries.length, bytes, full: entries.length >= count };
}
