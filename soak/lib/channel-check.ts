// The per-client, per-channel invariant, checked on every event as it arrives. The publisher
// chains each channel's events: every event carries the id of the one before it (`prev`), so a
// client knows at once whether the event it got follows the last one it holds — no list of
// published ids is needed, and a lost event is seen when the next one comes, not at the end.
//
// What may break the chain, and only this:
// - a `gateway.gap` naming the client's last id, followed by the event it names as earliest:
//   legitimate only if history was really trimmed there, which is claimed here (`TrimClaim`) and
//   settled against the channel's final length (an entry is trimmed only once `maxLen` newer ones
//   exist);
// - the first event of an `earliest` start, which replays what is retained without a gap notice
//   (claimed the same way);
// - with `state=1`, retained events (`soak.state`) before the replay or right after a gap: older
//   than the position (they do not move it), or trimmed ones after a gap.
import { compareStreamIds, ZERO_ID } from '@sse-gateway/publisher/protocol';
import type { Tally } from './tally';

/** The retained event type of the soak (see soak/schemas). */
export const STATE_TYPE = 'soak.state';
export const TICK_TYPE = 'soak.tick';

export interface ChainedEvent {
  id: string;
  type: string;
  seq: number;
  /** Id of the channel's previous event, null for its first. */
  prev: string | null;
}

interface GapData {
  lastEventId: string;
  earliestId: string | null;
}

/** "Event `seq` of `channel` was trimmed": true only if the channel ends with ≥ seq + maxLen events. */
export interface TrimClaim {
  channel: string;
  seq: number;
  where: string;
}

/** Where a connection starts on this channel, when the client has no position of its own yet. */
export type Start = { kind: 'earliest' } | { kind: 'at'; id: string } | { kind: 'unknown' };

export class ChannelCheck {
  /** Id of the last event that moved the client's position ('0-0': before the first). */
  position: string | undefined;
  private state = false;
  /** No chain event yet on this connection: retained events may come. */
  private opening = false;
  private stateSeen = false;
  private earliestStart = false;
  /** The client's first connection, started live: the retained events it gets may be older. */
  private liveStart = false;
  private pendingGap: GapData | undefined;
  /** Events that continued the chain, and gaps that were explained. */
  delivered = 0;
  gaps = 0;

  constructor(
    readonly where: string,
    readonly channel: string,
    private readonly tally: Tally,
    private readonly claims: TrimClaim[],
  ) {}

  /** A new connection's opening block. `start` matters only for the client's first connection. */
  begin(start: Start, state: boolean): void {
    this.state = state;
    this.opening = true;
    this.stateSeen = false;
    this.pendingGap = undefined;
    this.earliestStart = false;
    this.liveStart = false;
    if (this.position !== undefined) return;
    if (start.kind === 'earliest') {
      this.position = ZERO_ID;
      this.earliestStart = true;
    } else if (start.kind === 'at') {
      this.position = start.id;
      this.liveStart = true;
    }
  }

  gap(notice: GapData): void {
    const { position } = this;
    this.tally.expect(position === undefined || notice.lastEventId === position, 'gaps', this.label(), () =>
      `gateway.gap says the last id was ${notice.lastEventId}, the client's was ${position}`);
    this.pendingGap = notice;
    this.stateSeen = false;
  }

  event(event: ChainedEvent): void {
    const { position } = this;
    if (position === undefined) {
      // A start the client could not learn (a library client's first live stream): taken as is.
      this.tally.check('order');
      this.advance(event);
      return;
    }
    const retainedWindow = this.state && event.type === STATE_TYPE && (this.opening || this.pendingGap !== undefined);
    const order = compareStreamIds(event.id, position);
    if (order <= 0) {
      if (retainedWindow && this.liveStart && this.opening && !this.stateSeen) {
        // The channel's retained event, older than where a live stream starts: it keeps the
        // position. (A cursor covers what it holds: a resumed stream gets none of those.)
        this.stateSeen = true;
        this.tally.check('state');
        return;
      }
      this.tally.check('order');
      this.tally.violation('order', this.label(), order === 0 ? `event ${event.id} (seq ${event.seq}) came twice` : `event ${event.id} (seq ${event.seq}) came after ${position}`);
      return;
    }
    if (event.prev === (position === ZERO_ID ? null : position)) {
      const gap = this.pendingGap;
      // After a gap, a trimmed retained event may have moved the position up to the earliest entry.
      const explained = gap !== undefined && gap.earliestId === event.id && gap.lastEventId !== position;
      if (explained) {
        this.gaps++;
        this.claim(event.seq - 1);
      }
      this.tally.expect(gap === undefined || explained, 'gaps', this.label(), () =>
        `gateway.gap (earliest ${gap?.earliestId}) but event ${event.id} follows ${position} directly`);
      this.tally.check('order');
      this.pendingGap = undefined;
      this.earliestStart = false;
      this.advance(event);
      return;
    }
    // The chain jumps: only trimmed history explains it. A retained event the history no longer
    // holds comes before the first one it does (the gap's earliest); that one continues the chain.
    const gap = this.pendingGap;
    const beforeEarliest = gap !== undefined && gap.earliestId !== null && compareStreamIds(event.id, gap.earliestId) < 0;
    if (retainedWindow && !this.stateSeen && ((gap === undefined && this.earliestStart) || beforeEarliest)) {
      this.stateSeen = true;
      this.tally.check('state');
      this.claim(event.seq - 1);
      this.position = event.id; // a newer retained event moves the stream's position
      return;
    }
    if (gap !== undefined && (gap.earliestId === null || gap.earliestId === event.id)) {
      this.gaps++;
      this.claim(event.seq - 1);
    } else if (gap === undefined && this.earliestStart) {
      this.claim(event.seq - 1);
    } else {
      this.tally.check('order');
      this.tally.violation('order', this.label(), gap === undefined
        ? `lost: after ${position} came ${event.id} (seq ${event.seq}), whose previous event is ${event.prev}`
        : `gateway.gap named ${gap.earliestId} as earliest, then ${event.id} (seq ${event.seq}) came`);
      this.pendingGap = undefined;
      this.advance(event);
      return;
    }
    this.tally.check('order');
    this.pendingGap = undefined;
    this.earliestStart = false;
    this.advance(event);
  }

  /** At the end: the client must hold the channel's last event. */
  finish(lastId: string): void {
    const { position } = this;
    this.tally.expect(position === lastId, 'delivered', this.label(), () => `holds ${position ?? 'nothing'}, the channel ends at ${lastId}`);
  }

  private advance(event: ChainedEvent): void {
    this.opening = false;
    this.position = event.id;
    this.delivered++;
  }

  private claim(seq: number): void {
    this.claims.push({ channel: this.channel, seq, where: this.label() });
  }

  private label(): string {
    return `${this.where} ${this.channel}`;
  }
}

/** Settles trim claims: event `seq` was trimmed only if the channel ended with ≥ seq + maxLen events. */
export function settleClaims(claims: readonly TrimClaim[], finalSeq: (channel: string) => number, maxLen: (channel: string) => number, tally: Tally): void {
  for (const claim of claims) {
    const last = finalSeq(claim.channel);
    const keep = maxLen(claim.channel);
    tally.expect(last >= claim.seq + keep, 'gaps', claim.where, () =>
      `history said trimmed up to seq ${claim.seq}, but the channel holds ${last} events with ${keep} kept: it was still there`);
  }
}
