// A stream's place in one channel: where the stream is in it, and, while the stream replays
// history, the channel's live items held for it (`pending`), bounded in bytes: past the bound they
// are dropped and the stream reads them from history instead (`reread`), so a long replay never
// holds live items without limit and a client that keeps reading is never cut for it.
import type { StreamIdParts } from '@sse-gateway/publisher/protocol';
import type { ChannelHash } from '../sse/cursor';
import type { Frame } from '../sse/frame';
import type { EventItem, Item, NoticeItem } from './items';

/** What a stream needs of the channel it is in (the Channel, seen from here). */
export interface JoinedChannel {
  readonly name: string;
  readonly hash: ChannelHash;
  /** The last event the channel delivered. */
  readonly lastParts: StreamIdParts;
  /** Settles once the channel is subscribed and knows its position. */
  readonly ready: Promise<void>;
}

/** What a channel needs of the stream that follows it. */
export interface Member {
  /** Streams of one channel share one frame per event. */
  readonly singleChannel: boolean;
  /** Writes `item` as channel `index`'s next event; false when the stream is closed. */
  sendEvent(index: number, item: EventItem, shared: Frame | undefined): boolean;
  sendNotice(item: NoticeItem): void;
}

/** Before the first event of any stream. */
export const ZERO_PARTS: StreamIdParts = { ms: 0, seq: 0 };

export class Membership {
  /** Set by the hub when the stream joins the channel. */
  channel!: JoinedChannel;
  /** The last id written to the stream on this channel: its part of the cursor. */
  position: StreamIdParts = ZERO_PARTS;
  /** Live items held while the stream replays; undefined once it is live. */
  pending: Item[] | undefined = [];
  private pendingBytes = 0;
  /** Items were dropped from `pending`: read history again before going live. */
  reread = false;
  /** Skip live events up to here: the client has them (it resumed from a gateway that was ahead). */
  floor: StreamIdParts | undefined;

  constructor(
    readonly member: Member,
    /** The channel's index in its stream's channel list. */
    readonly index: number,
    private readonly pendingLimit: number,
  ) {}

  hold(item: Item): void {
    const pending = this.pending as Item[];
    // What the held items will take in the client's buffer: bytes, not UTF-16 units.
    this.pendingBytes += typeof item.envelope === 'string' ? Buffer.byteLength(item.envelope) : item.envelope.length;
    if (this.pendingBytes > this.pendingLimit) {
      pending.length = 0;
      this.pendingBytes = 0;
      this.reread = true;
      return;
    }
    pending.push(item);
  }

  /**
   * Live from now on: returns what is held, to be written first. Only right after a check that
   * nothing was dropped (`reread` false), in the same synchronous step.
   */
  goLive(): Item[] {
    const held = this.pending ?? [];
    this.pending = undefined;
    this.pendingBytes = 0;
    return held;
  }
}
