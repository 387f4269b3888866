// A light soak client: node:http, one connection per stream (no agent), the soak's own SSE
// reader, and a ChannelCheck per channel. It reconnects with its cursor like EventSource, after
// `gateway.token_expired` with a fresh token, and plays one of a few roles: slow reader (pauses
// its socket), away (hangs up now and then and comes back later, which makes trimmed history on
// hot channels), replay quitter (starts from `earliest`, hangs up mid-replay, resumes).
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { mintToken } from '../../bench/lib/token';
import { ChannelCheck, STATE_TYPE, TICK_TYPE, type Start } from './channel-check';
import { positionIn, readGap, readTick, type ClientKit } from './client-kit';
import type { RawSpec } from './population';
import { SseBlocks, type SseBlock } from './sse-blocks';

/** Error bodies read at most this far (they are small; the rest is dropped). */
const MAX_ERROR_BODY = 4096;

export class RawClient {
  private checks = new Map<string, ChannelCheck>();
  private cursor: string | undefined;
  private attempt = 0;
  private life = 0;
  private req: ClientRequest | undefined;
  private res: IncomingMessage | undefined;
  private timers = new Set<NodeJS.Timeout>();
  /** A request is out and its response head has not come. */
  inFlight = false;
  open = false;
  subject = '';
  /** When the current token expires (epoch ms). */
  private tokenExpiresAt = 0;
  /** When the current request was sent (epoch ms). */
  private sentAt = 0;
  private openedAt = 0;
  private eventsThisStream = 0;
  private quitAfter = 0;
  private firstOpen: (() => void) | undefined;
  private stopped = false;

  constructor(readonly spec: RawSpec, private readonly kit: ClientKit) {
    this.newLife();
  }

  /** Starts; resolves once the first stream opened or failed. */
  start(): Promise<void> {
    return new Promise((resolve) => {
      this.firstOpen = resolve;
      this.connect();
      if (this.spec.slow) this.every(4000 + Math.random() * 2000, () => this.pauseReading());
      if (this.spec.awayEveryMs > 0) this.every(this.spec.awayEveryMs * (0.7 + Math.random() * 0.6), () => this.goAway());
      if (this.spec.quitter) this.every(15000 + Math.random() * 10000, () => this.restartFromEarliest());
    });
  }

  /** Each channel's check, for the end. */
  get channelChecks(): ChannelCheck[] {
    return [...this.checks.values()];
  }

  stop(): void {
    this.stopped = true;
    this.hangUp();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** A new identity: fresh checks and no cursor, starting as the spec says (quitters: earliest). */
  private newLife(): void {
    this.life++;
    this.cursor = undefined;
    this.checks = new Map(this.spec.channels.map((channel) => [channel, new ChannelCheck(`${this.spec.name}#${this.life}`, channel, this.kit.tally, this.kit.claims)]));
  }

  private async connect(): Promise<void> {
    await this.kit.whenFree();
    if (this.stopped || this.kit.isStopped || this.req !== undefined) return;
    this.attempt++;
    this.subject = `${this.spec.name}.${this.attempt}`;
    const token = mintToken(this.kit.jwtSecret, { sub: this.subject, subscribe: this.spec.channels, ttlS: this.spec.tokenTtlS });
    // The token's exp is whole seconds from now (bench's mintToken): it expires at the latest then.
    this.tokenExpiresAt = (Math.floor(Date.now() / 1000) + this.spec.tokenTtlS) * 1000;
    const query = this.spec.channels.map((c) => `channel=${encodeURIComponent(c)}`).join('&') + (this.spec.state ? '&state=1' : '');
    const resume = this.cursor ?? (this.spec.start === 'earliest' ? 'earliest' : undefined);
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' };
    if (resume !== undefined) headers['Last-Event-ID'] = resume;
    this.inFlight = true;
    this.sentAt = Date.now();
    const req = request({ host: this.kit.host, port: this.kit.port, path: `/v1/stream?${query}`, headers, agent: false });
    this.req = req;
    req.on('response', (res) => this.onResponse(req, res));
    req.on('error', () => this.ended(req));
    req.on('close', () => this.ended(req));
    req.end();
  }

  private onResponse(req: ClientRequest, res: IncomingMessage): void {
    this.inFlight = false;
    if (res.statusCode !== 200) {
      this.readError(res); // judged against the faults by the orchestrator
      return;
    }
    this.kit.tally.check('status');
    this.res = res;
    this.open = true;
    this.openedAt = Date.now();
    this.eventsThisStream = 0;
    this.quitAfter = this.spec.quitter && this.cursor === undefined ? 1 + Math.floor(Math.random() * 30) : 0;
    let opening = true;
    const blocks = new SseBlocks((block) => {
      if (opening) {
        opening = false;
        this.begin(block);
      } else this.onBlock(block);
    });
    res.setEncoding('utf8');
    res.on('data', (text: string) => {
      // What a paused (slow) reader still had buffered when its stream ended is not read: the
      // next stream resumes from the cursor of what was.
      if (this.req !== req) return;
      if (!blocks.feed(text)) {
        this.kit.tally.violation('order', this.subject, 'a partial SSE block grew over 1 MiB');
        req.destroy();
      }
    });
    res.on('error', () => undefined);
    this.firstOpen?.();
    this.firstOpen = undefined;
  }

  private readError(res: IncomingMessage): void {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (text: string) => {
      if (body.length < MAX_ERROR_BODY) body += text;
    });
    res.on('end', () => {
      let code = '';
      try {
        code = String((JSON.parse(body) as { error?: { code?: unknown } }).error?.code ?? '');
      } catch {
        // nginx's own error pages are HTML
      }
      const at = Date.now();
      this.kit.status({ at, status: res.statusCode ?? 0, code, what: 'stream', elapsedMs: at - this.sentAt, ...(at >= this.tokenExpiresAt ? { tokenExpired: true } : {}) });
    });
    res.on('error', () => undefined);
  }

  /** The opening block: `retry:` and the stream's starting cursor, no data. */
  private begin(block: SseBlock): void {
    const cursor = block.id;
    this.kit.tally.expect(cursor !== undefined && block.data === undefined, 'order', this.subject, () => `the stream did not open with an id-only block: ${JSON.stringify(block).slice(0, 200)}`);
    for (const [channel, check] of this.checks) {
      const at = cursor === undefined ? undefined : positionIn(cursor, channel);
      const start: Start = this.spec.start === 'earliest' ? { kind: 'earliest' } : at === undefined ? { kind: 'unknown' } : { kind: 'at', id: at };
      check.begin(start, this.spec.state);
    }
    if (cursor !== undefined) this.cursor = cursor;
  }

  private onBlock(block: SseBlock): void {
    if (block.id !== undefined) this.cursor = block.id;
    const data = block.data ?? '';
    if (block.event === 'gateway.gap') {
      const gap = readGap(data);
      const check = gap === undefined ? undefined : this.checks.get(gap.channel);
      if (gap === undefined || check === undefined) this.kit.tally.violation('gaps', this.subject, `a gateway.gap the client cannot place: ${data.slice(0, 200)}`);
      else check.gap(gap);
    } else if (block.event === 'gateway.token_expired') {
      this.kit.counters.expiries++;
    } else if (block.event === TICK_TYPE || block.event === STATE_TYPE) {
      const tick = readTick(data);
      if (typeof tick === 'string') {
        this.kit.tally.violation('order', this.subject, tick);
        return;
      }
      const check = this.checks.get(tick.channel);
      if (check === undefined) {
        this.kit.tally.violation('order', this.subject, `an event of channel ${tick.channel}, which it did not ask for`);
        return;
      }
      check.event({ id: tick.id, type: block.event, seq: tick.data.seq, prev: tick.data.prev });
      if (tick.data.sentAt >= this.openedAt) this.kit.latency.record(Date.now() - tick.data.sentAt);
      if (this.quitAfter > 0 && ++this.eventsThisStream === this.quitAfter && !this.kit.held) {
        this.kit.counters.replayQuits++;
        this.hangUp();
      }
    } else {
      this.kit.tally.violation('order', this.subject, `unexpected block ${JSON.stringify(block).slice(0, 200)}`);
    }
  }

  /** The request or its stream ended, however: reconnect after the backoff (or the away time). */
  private ended(req: ClientRequest, delayMs = this.kit.backoff()): void {
    if (this.req !== req) return;
    this.req = undefined;
    this.res = undefined;
    this.inFlight = false;
    this.open = false;
    this.firstOpen?.();
    this.firstOpen = undefined;
    if (this.stopped || this.kit.isStopped) return;
    this.kit.counters.reconnects++;
    this.after(delayMs, () => void this.connect());
  }

  private hangUp(delayMs?: number): void {
    const req = this.req;
    if (req === undefined) return;
    req.destroy();
    this.ended(req, delayMs);
  }

  /**
   * At a quiet moment no stream may end by itself: one whose token would expire within
   * `horizonMs` hangs up now (and comes back with a fresh token once the moment is over).
   */
  quietDown(horizonMs: number): void {
    if (this.req !== undefined && this.tokenExpiresAt - Date.now() < horizonMs) {
      this.kit.counters.aways++;
      this.hangUp();
    }
  }

  private pauseReading(): void {
    if (!this.kit.held) this.pause(1000 + Math.random() * 2000);
  }

  /** Stops reading the current stream for `ms` (a slow reader; the gateway may end it meanwhile). */
  pause(ms: number): void {
    const res = this.res;
    if (res === undefined) return;
    res.pause();
    this.after(ms, () => res.resume());
  }

  private goAway(): void {
    if (!this.open || this.kit.held) return;
    this.kit.counters.aways++;
    this.hangUp(this.spec.awayForMs * (0.7 + Math.random() * 0.6));
  }

  private restartFromEarliest(): void {
    if (this.kit.held || this.inFlight) return;
    this.hangUp();
    this.newLife();
  }

  private after(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
  }

  private every(ms: number, run: () => void): void {
    this.after(ms, () => {
      run();
      this.every(ms, run);
    });
  }
}
