// The publisher fleet: one sequential publisher per channel, through the SDK straight into Redis
// or over HTTP (`POST /v1/publish`) through the load balancer. Each event carries its channel's
// sequence number and the id of the channel's previous event (what clients check the chain
// with), and an idempotency key: a publish that failed is sent again with the same key until it
// is acknowledged, so an event stored before its answer was lost is never stored twice.
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { mintToken } from '../../bench/lib/token';
import { STATE_TYPE, TICK_TYPE } from './channel-check';
import type { StatusRecord } from './client-kit';
import type { ChannelPlan } from './population';
import type { Tally } from './tally';

/** Every 10th event of a channel is retained (its `state=1` event). */
const RETAIN_EVERY = 10;
const RETRY_MS = 250;
/** One event's attempts, all together: past this the channel stops and a violation is counted. */
const GIVE_UP_MS = 60_000;
const HTTP_TIMEOUT_MS = 5000;
const PAD = 'x'.repeat(120);

interface FleetOptions {
  redisUrl: string;
  /** The load balancer, for HTTP publishing. */
  baseUrl: string;
  jwtSecret: string;
  schemasDir: string;
  tally: Tally;
  onStatus: (record: StatusRecord) => void;
}

interface Acked {
  seq: number;
  id: string | null;
}

class PublishFailed extends Error {
  override readonly name = 'PublishFailed';
}

export class PublisherFleet {
  private readonly acked = new Map<string, Acked>();
  private readonly sdk = new Map<number, Publisher>();
  private readonly token: string;
  private running = false;
  private loops: Promise<void>[] = [];
  published = 0;
  retries = 0;

  constructor(private readonly channels: readonly ChannelPlan[], private readonly options: FleetOptions) {
    this.token = mintToken(options.jwtSecret, { sub: 'soak-publisher', publish: ['soak:*'], ttlS: 7 * 24 * 3600 });
    for (const channel of channels) this.acked.set(channel.name, { seq: 0, id: null });
  }

  start(): void {
    this.running = true;
    this.loops = this.channels.map((channel) => this.run(channel));
  }

  /** Stops publishing; resolves once every event in flight was acknowledged (or given up). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    await Promise.all([...this.sdk.values()].map((p) => p.close()));
  }

  /** What was acknowledged last on `channel`. */
  last(channel: string): Acked {
    return this.acked.get(channel) ?? { seq: 0, id: null };
  }

  private publisherFor(maxLen: number): Publisher {
    let publisher = this.sdk.get(maxLen);
    if (publisher === undefined) {
      publisher = createPublisher({ redisUrl: this.options.redisUrl, schemasDir: this.options.schemasDir, historyMaxLen: maxLen, timeoutMs: 3000 });
      this.sdk.set(maxLen, publisher);
    }
    return publisher;
  }

  private async run(channel: ChannelPlan): Promise<void> {
    const interval = 1000 / channel.rate;
    // Channels start spread over one interval, not all at once.
    let due = performance.now() + Math.random() * interval;
    while (this.running) {
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (!this.running) return;
      // Behind (a fault held a publish): go on from now rather than burst to catch up.
      due = Math.max(due + interval, performance.now() - interval);
      if (!(await this.publishNext(channel))) return;
    }
  }

  /** Publishes the channel's next event until acknowledged; false when it gave up. */
  private async publishNext(channel: ChannelPlan): Promise<boolean> {
    const last = this.last(channel.name);
    const seq = last.seq + 1;
    const retain = seq % RETAIN_EVERY === 0;
    const event = {
      channel: channel.name,
      type: retain ? STATE_TYPE : TICK_TYPE,
      data: { seq, prev: last.id, sentAt: Date.now(), pad: PAD },
      idempotencyKey: `${channel.name}#${seq}`,
      ...(retain ? { retain: true } : {}),
    };
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        const id = channel.path === 'sdk' ? (await this.publisherFor(channel.maxLen).publish(event)).id : await this.postHttp(event);
        this.acked.set(channel.name, { seq, id });
        this.published++;
        this.options.tally.check('publish');
        return true;
      } catch (error) {
        if (Date.now() - started > GIVE_UP_MS) {
          this.options.tally.violation('publish', channel.name, `seq ${seq} not acknowledged after ${attempt + 1} attempts in ${GIVE_UP_MS} ms: ${(error as Error).message}`);
          return false;
        }
        this.retries++;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  private async postHttp(event: object): Promise<string> {
    const response = await fetch(`${this.options.baseUrl}/v1/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    const text = await response.text();
    this.options.tally.check('status');
    if (response.status !== 202) {
      let code = '';
      try {
        code = String((JSON.parse(text) as { error?: { code?: unknown } }).error?.code ?? '');
      } catch {
        // nginx's own error page
      }
      this.options.onStatus({ at: Date.now(), status: response.status, code, what: 'publish' });
      throw new PublishFailed(`HTTP ${response.status} ${code}`);
    }
    const id = (JSON.parse(text) as { ids?: unknown[] }).ids?.[0];
    if (typeof id !== 'string') throw new PublishFailed(`202 without an id: ${text.slice(0, 200)}`);
    return id;
  }
}
