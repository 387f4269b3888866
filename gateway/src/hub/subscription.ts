// The one owner of a stream's resources, from the request's arrival to its close: the admission
// slot, its memberships in channels (and through them the bus subscriptions), its positions, the
// replay's memory grant and waits, its token-expiry deadline. It hears the connection's close
// whatever step is under way and releases exactly what was taken, once. After every await it
// looks whether the stream closed meanwhile before taking anything more.
import { compareParts, formatStreamId, parseStreamId, ZERO_ID, type StreamIdParts } from '@sse-gateway/publisher/protocol';
import { GatewayError } from '../errors';
import { encodeCursor, type ChannelHash } from '../sse/cursor';
import type { CloseReason, Sink, SinkOwner } from '../sse/connection';
import type { Deadline } from '../sse/deadlines';
import { eventFrame, openingFrame, type Frame } from '../sse/frame';
import { readPage, type HistoryPosition, type Page } from './history-reader';
import type { HubContext } from './hub-context';
import { gapNotice, itemFromRetained, tokenExpiredNotice, type EventItem, type NoticeItem } from './items';
import { Membership, ZERO_PARTS, type JoinedChannel, type Member } from './membership';
import type { FairQuota, Grant, PendingGrant } from './fair-quota';
import { replayChannel } from './replay';

/** What the client asked to resume from. */
export type Resume = { kind: 'live' } | { kind: 'earliest' } | { kind: 'cursor'; positions: ReadonlyMap<ChannelHash, StreamIdParts> };

/** A channel's retained events for a stream, and the head of its history when they were read. */
export interface Retained {
  items: EventItem[];
  head: StreamIdParts | undefined;
}

export interface StreamRequest {
  subject: string;
  channels: readonly string[];
  resume: Resume;
  /** `state=1`: each channel's retained events before its replay and live events. */
  state: boolean;
  /** Token expiry, epoch ms; undefined for a token without `exp`. */
  expiresAt: number | undefined;
  /** Response headers beside the stream's own (CORS). */
  headers: Readonly<Record<string, string>>;
}

/**
 * - `waiting`: for the bus (after a Redis blip) — nothing taken yet.
 * - `joining`: slot taken, joining the channels (subscribing, reading their heads).
 * - `positioning`: checking the cursor against each channel's history.
 * - `replaying`: the response has started; history is written, channel by channel.
 * - `live`: every channel delivers live events.
 * - `closed`: everything released.
 */
type Stage = 'waiting' | 'joining' | 'positioning' | 'replaying' | 'live' | 'closed';

/** What a stream needs only until it is live. */
interface Start {
  readonly request: StreamRequest;
  /** Per channel: the client's own position (undefined when it starts live), for `state=1`. */
  readonly requested: (StreamIdParts | undefined)[];
  /** Per channel: a gap found when positioning (history ends before the cursor), said first. */
  readonly gaps: (NoticeItem | undefined)[];
}

export class Subscription implements Member, SinkOwner {
  stage: Stage = 'waiting';
  readonly channels: readonly string[];
  /** Read per event delivered: a field, not a getter. */
  readonly singleChannel: boolean;
  /** Per channel, in the order of `channels`: its position (the cursor) and what is held for it. */
  readonly memberships: Membership[] = [];
  readonly subject: string;
  eventsSent = 0;
  /** Until the stream is live: the request and what its start found. */
  private start: Start | undefined;
  private readonly expiresAt: number | undefined;
  private readonly openedAt = Date.now();
  private slot = false;
  private expiry: Deadline | undefined;
  private grant: Grant | undefined;
  private pendingGrant: PendingGrant | undefined;
  /** Cancels what the stream waits for now (a timer): called on close. */
  private cancelWait: (() => void) | undefined;
  /** Ended before its response started: refused (503 draining) at its next step. */
  private endedEarly = false;

  constructor(
    private readonly hub: HubContext,
    readonly sink: Sink,
    request: StreamRequest,
  ) {
    this.channels = request.channels;
    this.singleChannel = request.channels.length === 1;
    this.subject = request.subject;
    this.expiresAt = request.expiresAt;
    this.start = { request, requested: [], gaps: [] };
  }

  /** The request, until the stream is live. */
  get request(): StreamRequest {
    return (this.start as Start).request;
  }

  get closed(): boolean {
    return this.stage === 'closed';
  }

  /**
   * Takes the stream from its verified request to live. Rejects with a GatewayError before the
   * response started (everything taken released, the connection detached for the caller to
   * answer); resolves once live, or once the stream closed at any step.
   */
  async open(): Promise<void> {
    this.sink.setOwner(this);
    try {
      if (!(await this.prepare())) return;
    } catch (error) {
      if (this.closed) return;
      this.sink.detach();
      this.release('error');
      throw error;
    }
    this.begin();
    try {
      for (let index = 0; index < this.channels.length && !this.closed; index++) await replayChannel(this, index);
      if (this.closed) return;
      this.stage = 'live';
      this.start = undefined;
    } catch (error) {
      if (this.closed) return;
      this.hub.logger.warn('replay failed; the client will resume', { subject: this.subject, channels: this.channels, error: (error as Error).message });
      this.sink.end('error');
    }
  }

  /** Bus, slot, channels, positions. False when the stream closed meanwhile. */
  private async prepare(): Promise<boolean> {
    if (this.closed) return false;
    const wait = this.hub.whenBusConnected();
    this.cancelWait = wait.cancel;
    const connected = await wait.connected;
    this.cancelWait = undefined;
    if (this.closed) return false;
    if (!connected) throw new GatewayError('bus_unavailable', 'the gateway has lost its message bus; retry shortly');
    this.refuseIfDraining();
    this.hub.admission.admit(this.subject);
    this.slot = true;
    this.hub.admitted(this);
    this.stage = 'joining';
    this.channels.forEach((name, index) => {
      const membership = new Membership(this, index, this.hub.pendingLimit);
      this.hub.join(name, membership);
      this.memberships.push(membership); // only with its channel: release() leaves every one listed
    });
    await fromBus(Promise.all(this.memberships.map((membership) => membership.channel.ready)));
    if (this.closed) return false;
    this.refuseIfDraining();
    this.stage = 'positioning';
    await fromBus(this.startPositions());
    if (this.closed) return false;
    this.refuseIfDraining();
    return true;
  }

  private refuseIfDraining(): void {
    if (this.hub.draining || this.endedEarly) throw new GatewayError('draining', 'this gateway is shutting down; reconnect to another');
  }

  /**
   * Each channel's starting position: the cursor's, the channel's current one (live), or before
   * the first (`earliest`). A cursor ahead of what this gateway delivered is checked against the
   * stream's head: behind it, it is in flight here; beyond it, history ends before the cursor
   * (expired, deleted, lost in a Redis restart or failover): a gap, then live events.
   */
  private async startPositions(): Promise<void> {
    const start = this.start as Start;
    const { resume } = start.request;
    await Promise.all(
      this.memberships.map(async (membership, index) => {
        const { channel } = membership;
        const current = channel.lastParts;
        const wanted = resume.kind === 'earliest' ? ZERO_PARTS : resume.kind === 'cursor' ? resume.positions.get(channel.hash) : undefined;
        start.requested[index] = wanted;
        membership.position = wanted ?? current;
        if (wanted === undefined || compareParts(wanted, current) <= 0) return;
        const head = await this.hub.bus.head(channel.name);
        const headParts = head === undefined ? undefined : parseStreamId(head);
        if (headParts !== undefined && compareParts(wanted, headParts) <= 0) {
          membership.floor = wanted;
          return;
        }
        const [first] = await this.hub.bus.history(channel.name, ZERO_ID, 1);
        start.gaps[index] = this.gap(channel.name, formatStreamId(wanted), first?.id ?? null);
        membership.position = current;
      }),
    );
  }

  /** A gap found for channel `index` when positioning, said before anything else of it. */
  startGap(index: number): NoticeItem | undefined {
    return this.start?.gaps[index];
  }

  /** Sends the response head and the opening block; from here on the stream is the client's. */
  private begin(): void {
    this.stage = 'replaying';
    this.sink.start(this.request.headers, openingFrame(this.hub.retryMs, this.cursor()));
    const { expiresAt } = this;
    if (expiresAt !== undefined) this.expiry = this.hub.expiries.add(expiresAt, this);
    this.hub.logger.info('stream opened', { subject: this.subject, channels: this.channels, resume: this.request.resume.kind });
  }

  /** The cursor of the current positions. */
  cursor(): string {
    return encodeCursor(this.memberships.map((membership) => ({ hash: membership.channel.hash, id: membership.position })));
  }

  sendEvent(index: number, item: EventItem, shared?: Frame): boolean {
    const membership = this.memberships[index] as Membership;
    // Never backwards: a retained event older than where the stream starts keeps the position.
    const advances = compareParts(item.idParts, membership.position) > 0;
    if (advances) membership.position = item.idParts;
    // The shared frame's cursor is the event's own id: right only for a single channel it advances.
    const frame = shared !== undefined && advances && this.singleChannel ? shared : eventFrame(this.cursor(), item);
    if (!this.sink.write(frame)) return false;
    this.eventsSent++;
    return true;
  }

  /** Writes an event outside live delivery (history, retained state, held items): counted here. */
  writeEvent(index: number, item: EventItem, fromHistory: boolean): void {
    if (!this.sendEvent(index, item)) return;
    this.hub.metrics.eventsDelivered.inc();
    if (fromHistory) this.hub.metrics.replayedEvents.inc();
  }

  sendNotice(item: NoticeItem): void {
    this.sink.write(eventFrame(this.cursor(), item));
  }

  /** A `gateway.gap` notice, counted. */
  gap(channel: string, lastEventId: string, earliestId: string | null): NoticeItem {
    this.hub.metrics.gaps.inc();
    return gapNotice(channel, lastEventId, earliestId);
  }

  /**
   * Channel `index`'s retained events (`state=1`) that the client's cursor does not cover, oldest
   * first, with the head of the channel's history when they were read.
   */
  async retained(index: number): Promise<Retained> {
    const name = this.channels[index] as string;
    const [events, head] = await Promise.all([this.hub.bus.state(name), this.hub.bus.head(name)]);
    const covered = this.start?.requested[index];
    const items: EventItem[] = [];
    for (const event of events) {
      const item = itemFromRetained(event, name);
      if (item === undefined) this.hub.metrics.eventsDropped.inc({ reason: 'invalid_envelope' });
      else if (covered === undefined || compareParts(item.idParts, covered) > 0) items.push(item);
    }
    return { items, head: head === undefined ? undefined : parseStreamId(head) };
  }

  /** The token expired: say so, then end the stream. */
  expire(): void {
    if (this.closed) return;
    this.sendNotice(tokenExpiredNotice(this.expiresAt ?? Date.now()));
    this.sink.end('token_expired');
  }

  /**
   * Ends the stream cleanly (drain). One whose response has not started is refused instead, as
   * any stream arriving now: a bare close would tell its client nothing, 503 draining with
   * Retry-After sends it to another gateway. It is waiting for the bus (channels' heads, its
   * cursor's place): the refusal comes with the answer, at its next step.
   */
  end(reason: CloseReason): void {
    if (this.stage === 'replaying' || this.stage === 'live') this.sink.end(reason);
    else this.endedEarly = true;
  }

  /**
   * Waits until the client took most of what it was given. A client that takes nothing for a
   * whole stall period is not reading: it is cut as slow (and resumes later with its cursor).
   * False when the stream closed.
   */
  async paced(threshold = this.hub.writeAhead): Promise<boolean> {
    // Only a congested socket (one that asked for a drain) says when it has caught up.
    while (!this.closed && this.sink.congested && this.sink.backlog > threshold) {
      let last = this.sink.backlog;
      const timer = setInterval(() => {
        const now = this.sink.backlog;
        if (now >= last) this.sink.destroy('slow');
        last = now;
      }, this.hub.stallMs);
      this.cancelWait = () => clearInterval(timer);
      await this.sink.drained();
      clearInterval(timer);
      this.cancelWait = undefined;
    }
    return !this.closed;
  }

  /** Reads the next history page of channel `name` with a memory grant; undefined when closed. */
  async readPage(name: string, position: HistoryPosition): Promise<Page | undefined> {
    const grant = await this.waitFor(this.hub.budget, this.hub.page.bytes);
    if (grant === undefined) return undefined;
    this.grant = grant;
    const slot = await this.waitFor(this.hub.reads, 1);
    if (slot === undefined) return undefined; // the page's grant went with the close
    let page: Page;
    try {
      page = await readPage(this.hub.bus, name, position, this.hub.page, this.hub.metrics);
    } finally {
      slot.release();
    }
    if (page.bytes > grant.amount) grant.grow(page.bytes - grant.amount);
    if (this.closed) {
      this.releaseGrant();
      return undefined;
    }
    return page;
  }

  /** A grant of `amount` from `quota`, or undefined when the stream closed while it waited. */
  private async waitFor(quota: FairQuota, amount: number): Promise<Grant | undefined> {
    const pending = quota.acquire(amount);
    this.pendingGrant = pending;
    const grant = await pending.granted;
    this.pendingGrant = undefined;
    if (grant === undefined || !this.closed) return grant;
    grant.release();
    return undefined;
  }

  /** The page is written: its memory is the socket's now. */
  releaseGrant(): void {
    this.grant?.release();
    this.grant = undefined;
  }

  channelOf(index: number): JoinedChannel {
    return (this.memberships[index] as Membership).channel;
  }

  sinkClosed(reason: CloseReason): void {
    this.release(reason);
  }

  /** Gives back everything taken, once. */
  private release(reason: CloseReason): void {
    if (this.closed) return;
    const started = this.stage === 'replaying' || this.stage === 'live';
    this.stage = 'closed';
    this.cancelWait?.();
    this.cancelWait = undefined;
    this.pendingGrant?.cancel();
    this.pendingGrant = undefined;
    this.releaseGrant();
    this.expiry?.cancel();
    this.expiry = undefined;
    for (const membership of this.memberships) this.hub.leave(membership.channel.name, membership);
    this.start = undefined;
    if (this.slot) {
      this.slot = false;
      this.hub.admission.release(this.subject);
      this.hub.released(this, reason);
    }
    if (started) {
      this.hub.logger.info('stream closed', {
        subject: this.subject,
        channels: this.channels,
        durationMs: Date.now() - this.openedAt,
        eventsSent: this.eventsSent,
        reason,
      });
    }
  }
}

/**
 * A step of the handshake that reads the bus. Its failure is the bus's, not the gateway's: 503
 * `bus_unavailable` (the client retries shortly), never a 500 logged as an internal error.
 */
async function fromBus<T>(step: Promise<T>): Promise<T> {
  try {
    return await step;
  } catch (error) {
    throw error instanceof GatewayError ? error : new GatewayError('bus_unavailable', 'the message bus did not answer; retry shortly');
  }
}
