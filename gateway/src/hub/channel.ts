// One channel this gateway is subscribed to: its local members and the last event delivered.
// Delivery is strictly in id order and exactly once per gateway. Each live message names the id
// before it (`prev`); one that does not follow the last delivered id means something was missed
// (a Redis blip, a reconnect), so the channel holds live messages, reads what it missed from
// history, then releases what it held.
import { compareParts, parseLiveMessage, parseStreamId, ZERO_ID, type StreamIdParts } from '@sse-gateway/publisher/protocol';
import type { Bus } from '../bus/bus';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { channelHash, type ChannelHash } from '../sse/cursor';
import type { Frame } from '../sse/frame';
import { readPage, type HistoryPosition, type PageLimits } from './history-reader';
import { itemFromLive, sharedFrame, type EventItem, type Item } from './items';
import { ZERO_PARTS, type Membership } from './membership';
import type { FairQuota } from './fair-quota';

/**
 * - `starting`: subscribing and reading the stream's head; live messages are held.
 * - `live`: live messages are delivered as they come.
 * - `catching-up`: reading history after the last delivered id; live messages are held.
 * - `stale`: starting or catching up, and asked to read (once more) when done (the bus reconnected
 *   meanwhile, or held messages overflowed MAX_HELD_BYTES and were dropped).
 * - `waiting`: a catch-up failed; holding, and trying again after a pause.
 * - `closed`: nobody wants the channel any more.
 */
type ChannelPhase = 'starting' | 'live' | 'catching-up' | 'stale' | 'waiting' | 'closed';

interface ChannelDeps {
  bus: Bus;
  metrics: Metrics;
  logger: Logger;
  budget: FairQuota;
  /** Entries and bytes per history read. */
  page: PageLimits;
}

/** Pause before a failed catch-up is tried again. */
const CATCH_UP_RETRY_MS = 1000;

/** Bytes of live messages held while catching up; past this they are read from history instead. */
const MAX_HELD_BYTES = 1024 * 1024;

export class Channel {
  readonly hash: ChannelHash;
  readonly members = new Set<Membership>();
  /** The last event delivered (or, before any, the stream's head when subscribed). */
  lastId = ZERO_ID;
  lastParts: StreamIdParts = ZERO_PARTS;
  phase: ChannelPhase = 'starting';
  /** Settles once subscribed and the starting position is known. */
  readonly ready: Promise<void>;
  private held: EventItem[] = [];
  private heldBytes = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    private readonly deps: ChannelDeps,
  ) {
    this.hash = channelHash(name);
    this.ready = this.start();
  }

  private async start(): Promise<void> {
    let arrived: number;
    try {
      await this.deps.bus.subscribe(this.name, this.onRaw);
      arrived = this.held.length; // held before the head was read: their predecessors are in it
      const head = await this.deps.bus.head(this.name);
      if (head !== undefined) this.advance(head);
    } catch (error) {
      this.close();
      throw error;
    }
    if (this.phase === 'closed') return;
    if (this.phase === 'starting' && this.releaseHeld(arrived)) this.phase = 'live';
    else {
      this.phase = 'catching-up';
      void this.sync();
    }
  }

  private readonly onRaw = (raw: Buffer): void => {
    const parsed = parseLiveMessage(raw, this.name);
    if (!parsed.ok) {
      this.deps.metrics.eventsDropped.inc({ reason: parsed.reason });
      this.deps.logger.warn('dropped a bus message that is not a valid envelope', { channel: this.name, reason: parsed.reason, bytes: raw.length });
      return;
    }
    const item = itemFromLive(parsed.message);
    if (this.phase === 'closed') return;
    if (this.phase !== 'live') return this.hold(item);
    if (compareParts(item.idParts, this.lastParts) <= 0) return; // already delivered (replayed or caught up)
    if (item.prev !== this.lastId) {
      this.hold(item);
      this.phase = 'catching-up';
      void this.sync();
      return;
    }
    this.deliver(item);
  };

  private hold(item: EventItem): void {
    this.heldBytes += item.envelope.length;
    if (this.heldBytes > MAX_HELD_BYTES) {
      // History has them: drop what is held and read it all from there. A starting channel too:
      // start()'s count of what arrived before the head was read no longer matches what is held.
      this.held = [];
      this.heldBytes = 0;
      if (this.phase === 'catching-up' || this.phase === 'starting') this.phase = 'stale';
      return;
    }
    // A live envelope is a view into the Redis client's read chunk: copy what is kept for a while.
    this.held.push({ ...item, envelope: Buffer.from(item.envelope) });
  }

  /** Catches up from history after the last delivered id: the bus reconnected, messages may be lost. */
  resync(): void {
    switch (this.phase) {
      case 'live':
        this.phase = 'catching-up';
        void this.sync();
        return;
      case 'waiting':
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
        this.phase = 'catching-up';
        void this.sync();
        return;
      case 'starting':
      case 'catching-up':
        this.phase = 'stale';
        return;
      case 'stale':
      case 'closed':
        return;
    }
  }

  /** Stops everything; the hub calls it when the last member left. */
  close(): void {
    this.phase = 'closed';
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.held = [];
    this.heldBytes = 0;
  }

  /** Rounds of catch-up until what is held follows what was delivered; then live. */
  private async sync(): Promise<void> {
    try {
      for (;;) {
        const arrived = this.held.length;
        await this.catchUp();
        if (this.phase === 'closed') return;
        if (this.phase === 'stale') {
          this.phase = 'catching-up';
          continue;
        }
        if (this.releaseHeld(arrived)) {
          this.phase = 'live';
          return;
        }
      }
    } catch (error) {
      if (this.phase === 'closed') return;
      // Keep holding: what is held may follow events not read yet. Events may also be waiting in
      // history with no live message coming to reveal them, so try again after a pause.
      this.phase = 'waiting';
      this.deps.logger.warn('channel catch-up failed; retrying', { channel: this.name, error: (error as Error).message });
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        if (this.phase !== 'waiting') return;
        this.phase = 'catching-up';
        void this.sync();
      }, CATCH_UP_RETRY_MS);
      this.retryTimer.unref();
    }
  }

  /**
   * Reads history after the last delivered id until a read reaches its end (a page shorter than
   * asked for), delivering it. Under steady publishing history grows while it is read: reading on
   * until a page came back empty would chase it round trip after round trip, reading what the
   * held live messages already carry.
   */
  private async catchUp(): Promise<void> {
    const position: HistoryPosition = { after: this.lastId, contiguous: true };
    for (;;) {
      // A catch-up holds live delivery for every member: it takes its memory without queueing.
      const grant = this.deps.budget.take(this.deps.page.bytes);
      try {
        const page = await readPage(this.deps.bus, this.name, position, this.deps.page, this.deps.metrics);
        if (this.phase === 'closed') return;
        for (const item of page.items) if (item.kind === 'notice' || compareParts(item.idParts, this.lastParts) > 0) this.deliver(item);
        if (!page.full) return;
      } finally {
        grant.release();
      }
    }
  }

  /**
   * Delivers what is held, in order. Returns false (keeping the rest held) at an item that does not
   * follow the last delivered one and arrived after this round's reads began: its predecessor may
   * just not have been read yet. One that arrived before them was stored before it was announced,
   * so before the round's last read, which reached the end of history (a page shorter than asked
   * for): had it been there, with its predecessors, it would have been read and delivered. So it
   * was never stored (a message written to the pub/sub channel by hand) or was already gone (the
   * stream deleted meanwhile). It is dropped, never delivered: a forged id far in the future
   * would otherwise become the channel's position and silence every real event after it.
   */
  private releaseHeld(arrivedBeforeRead: number): boolean {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (let i = 0; i < held.length; i++) {
      const item = held[i] as EventItem;
      if (compareParts(item.idParts, this.lastParts) <= 0) continue;
      if (item.prev !== this.lastId) {
        if (i >= arrivedBeforeRead) {
          this.held = held.slice(i);
          for (const rest of this.held) this.heldBytes += rest.envelope.length;
          return false;
        }
        this.deps.metrics.eventsDropped.inc({ reason: 'unconfirmed' });
        this.deps.logger.warn('dropped a live message that history does not have', { channel: this.name, id: item.id, prev: item.prev });
        continue;
      }
      this.deliver(item);
    }
    return true;
  }

  private advance(id: string): void {
    const parts = parseStreamId(id);
    if (parts === undefined) return;
    this.lastId = id;
    this.lastParts = parts;
  }

  /** Writes `item` to every member: one shared frame for single-channel streams. */
  deliver(item: Item): void {
    let shared: Frame | undefined;
    let kept: Item | undefined;
    let written = 0;
    if (item.kind === 'event') {
      this.lastId = item.id;
      this.lastParts = item.idParts;
    }
    for (const membership of this.members) {
      if (membership.pending !== undefined) {
        // A live envelope is a view into the Redis client's read chunk: copy it once to keep it.
        kept ??= item.kind === 'event' && Buffer.isBuffer(item.envelope) ? { ...item, envelope: Buffer.from(item.envelope) } : item;
        membership.hold(kept);
        continue;
      }
      const { member, index } = membership;
      if (item.kind === 'notice') {
        member.sendNotice(item);
        continue;
      }
      if (membership.floor !== undefined) {
        if (compareParts(item.idParts, membership.floor) <= 0) continue;
        membership.floor = undefined;
      }
      if (member.singleChannel) shared ??= sharedFrame(this.hash, item);
      if (member.sendEvent(index, item, shared)) written++;
    }
    if (written > 0 && item.kind === 'event') {
      this.deps.metrics.eventsDelivered.inc(written);
      const latencyMs = Date.now() - Date.parse(item.time);
      if (latencyMs >= 0) this.deps.metrics.deliveryLatency.observe(latencyMs / 1000);
    }
  }
}
