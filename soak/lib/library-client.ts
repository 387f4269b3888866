// A soak client that is the project's own `@sse-gateway/client` in Node: it reconnects, refreshes
// its token and resumes by itself; the soak only checks what it hands over. Its subject is the
// same for every token, so a gateway's streams can be matched to it; while it changes streams
// (state not `open`, or open for less than a moment) the match is uncertain and said so.
import { connect, type Envelope, type Stream, type StreamState } from '@sse-gateway/client';
import { mintToken } from '../../bench/lib/token';
import { ChannelCheck, STATE_TYPE, TICK_TYPE } from './channel-check';
import { positionIn, type ClientKit, type TickEnvelope } from './client-kit';
import type { LibrarySpec } from './population';

/** Open this long without a change before the client's stream is counted as certainly held. */
const SETTLED_MS = 1000;

type SoakEvents = Record<typeof TICK_TYPE | typeof STATE_TYPE, TickEnvelope['data']>;

export class LibraryClient {
  private readonly checks: Map<string, ChannelCheck>;
  private stream: Stream<SoakEvents> | undefined;
  private changedAt = Date.now();
  private current: StreamState = 'connecting';
  /** The cursor before the last one the library set: where a stream stood before its event. */
  private before: string | undefined;
  private openedAt = 0;

  constructor(readonly spec: LibrarySpec, private readonly kit: ClientKit, private readonly url: string, private readonly heartbeatMs: number) {
    this.checks = new Map(spec.channels.map((channel) => [channel, new ChannelCheck(spec.name, channel, kit.tally, kit.claims)]));
  }

  get subject(): string {
    return this.spec.name;
  }

  get channelChecks(): ChannelCheck[] {
    return [...this.checks.values()];
  }

  /** Its stream is open and has been for a moment: a gateway must hold exactly one for it. */
  get settled(): boolean {
    return this.current === 'open' && Date.now() - this.changedAt >= SETTLED_MS;
  }

  get isOpen(): boolean {
    return this.current === 'open';
  }

  /** Starts; resolves once the first stream opened (or the client closed). */
  start(): Promise<void> {
    const { spec, kit } = this;
    const stream = connect<SoakEvents>({
      url: this.url,
      channels: spec.channels,
      token: () => mintToken(kit.jwtSecret, { sub: spec.name, subscribe: spec.channels, ttlS: spec.tokenTtlS }),
      heartbeatMs: this.heartbeatMs,
      ...(spec.start === 'earliest' ? { lastEventId: 'earliest' } : {}),
    });
    this.stream = stream;
    this.watchCursor(stream);
    const onEvent = (event: Envelope<string, TickEnvelope['data']>): void => this.onEvent(event);
    stream.on(TICK_TYPE, onEvent);
    stream.on(STATE_TYPE, onEvent);
    stream.on('gap', (gap) => {
      const check = this.checks.get(gap.channel);
      if (check === undefined) kit.tally.violation('gaps', spec.name, `a gap for channel ${gap.channel}, which it did not ask for`);
      else check.gap(gap);
    });
    stream.on('error', (error) => {
      if (error.status !== undefined) kit.status({ at: Date.now(), status: error.status, code: error.gatewayCode ?? '', what: 'stream' });
      if (error.fatal) kit.tally.violation('status', spec.name, `the client library stopped for good: ${error.code} ${error.message}`);
    });
    return new Promise((resolve) => {
      stream.on('state', (state) => {
        this.current = state;
        this.changedAt = Date.now();
        if (state === 'open') {
          this.openedAt = Date.now();
          const first = spec.start === 'earliest' ? ({ kind: 'earliest' } as const) : ({ kind: 'unknown' } as const);
          for (const check of this.checks.values()) check.begin(first, false);
        } else if (state === 'reconnecting') kit.counters.reconnects++;
        if (state === 'open' || state === 'closed') resolve();
      });
    });
  }

  stop(): void {
    this.stream?.close();
  }

  private onEvent(event: Envelope<string, TickEnvelope['data']>): void {
    const check = this.checks.get(event.channel);
    if (check === undefined) {
      this.kit.tally.violation('order', this.spec.name, `an event of channel ${event.channel}, which it did not ask for`);
      return;
    }
    if (check.position === undefined && this.before !== undefined) {
      // The first event of a live start: the cursor before it says where the stream started.
      const at = positionIn(this.before, event.channel);
      if (at !== undefined) check.begin({ kind: 'at', id: at }, false);
    }
    check.event({ id: event.id, type: event.type, seq: event.data.seq, prev: event.data.prev });
    if (event.data.sentAt >= this.openedAt) this.kit.latency.record(Date.now() - event.data.sentAt);
  }

  /**
   * The library sets `stream.cursor` just before it hands over each event (and on each opening
   * block); keeping the value it replaced tells where the stream stood before the event.
   */
  private watchCursor(stream: Stream<SoakEvents>): void {
    let value = stream.cursor;
    Object.defineProperty(stream, 'cursor', {
      configurable: true,
      enumerable: true,
      get: () => value,
      set: (next: string | undefined) => {
        this.before = value;
        value = next;
      },
    });
  }
}
