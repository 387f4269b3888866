// A hub without sockets or Redis, for lifecycle tests: the real MemoryBus behind a gate that holds
// every asynchronous answer until the test lets it through, and a fake connection that records
// what the stream would have sent. The test walks a stream's handshake one await at a time.
import { Writable } from 'node:stream';
import { createEventValidator, type EventInput } from '@sse-gateway/publisher/protocol';
import type { Bus, HistoryEntry, LiveHandler, RetainedEvent } from '../../../gateway/src/bus/bus';
import { MemoryBus } from '../../../gateway/src/bus/memory-bus';
import { Hub, type HubOptions } from '../../../gateway/src/hub/hub';
import { createLogger } from '../../../gateway/src/logger';
import { createMetrics } from '../../../gateway/src/metrics';
import type { CloseReason, Sink, SinkOwner } from '../../../gateway/src/sse/connection';
import { parseBlocks } from '../../helpers/sse-client';
import type { Frame } from '../../../gateway/src/sse/frame';

/** Holds asynchronous steps until released, in the order they were asked for. */
export class Gate {
  private readonly waiting: { label: string; open: () => void }[] = [];
  /** Labels of every step let through so far. */
  readonly passed: string[] = [];

  /** Runs `action` now and holds its answer (as a reply from Redis would be) until released. */
  wait<T>(label: string, action: () => Promise<T>): Promise<T> {
    const answer = action();
    answer.catch(() => undefined); // seen by the caller once released
    return new Promise<void>((open) => this.waiting.push({ label, open })).then(() => answer);
  }

  get pending(): number {
    return this.waiting.length;
  }

  /** Labels of the steps waiting, oldest first. */
  get waitingLabels(): string[] {
    return this.waiting.map((step) => step.label);
  }

  /** Lets the oldest waiting step whose label starts with `prefix` through; false when none waits. */
  release(prefix: string): boolean {
    const index = this.waiting.findIndex((step) => step.label.startsWith(prefix));
    if (index < 0) return false;
    const [step] = this.waiting.splice(index, 1);
    this.passed.push(step!.label);
    step!.open();
    return true;
  }

  /** Lets the oldest waiting step through; false when none waits. */
  releaseNext(): boolean {
    const next = this.waiting.shift();
    if (next === undefined) return false;
    this.passed.push(next.label);
    next.open();
    return true;
  }
}

/** The MemoryBus with every read and subscription held at the gate. */
export class GatedBus implements Bus {
  readonly description = 'gated in-memory bus';
  readonly subscribed = new Set<string>();
  /** While true, live messages wait at the gate too (in flight from Redis). */
  holdLive = false;
  /** Live messages to lose (a Redis blip): each one dropped counts this down. */
  dropLive = 0;
  constructor(
    readonly inner: MemoryBus,
    private readonly gate: Gate,
  ) {}
  get connected(): boolean {
    return this.inner.connected;
  }
  subscribe(channel: string, handler: LiveHandler): Promise<void> {
    this.subscribed.add(channel);
    const gated: LiveHandler = (raw) => {
      if (this.dropLive > 0) {
        this.dropLive--;
        return;
      }
      if (!this.holdLive) return handler(raw);
      const copy = Buffer.from(raw);
      void this.gate.wait(`live ${channel}`, async () => undefined).then(() => handler(copy));
    };
    return this.gate.wait(`subscribe ${channel}`, () => this.inner.subscribe(channel, gated));
  }
  unsubscribe(channel: string): Promise<void> {
    this.subscribed.delete(channel);
    return this.inner.unsubscribe(channel);
  }
  publish: Bus['publish'] = (events) => this.inner.publish(events);
  history(channel: string, afterId: string, limit: number): Promise<HistoryEntry[]> {
    return this.gate.wait(`history ${channel} ${afterId}`, () => this.inner.history(channel, afterId, limit));
  }
  head(channel: string): Promise<string | undefined> {
    return this.gate.wait(`head ${channel}`, () => this.inner.head(channel));
  }
  state(channel: string): Promise<RetainedEvent[]> {
    return this.gate.wait(`state ${channel}`, () => this.inner.state(channel));
  }
  onStatus: Bus['onStatus'] = (listener) => this.inner.onStatus(listener);
  close: Bus['close'] = () => this.inner.close();
}

/** A connection as the hub sees it: records frames; congests after `congestAfter` bytes until the gate drains it. */
export class FakeSink implements Sink {
  closed = false;
  started = false;
  detached = false;
  closeReason: CloseReason | undefined;
  text = '';
  backlog = 0;
  private owner: SinkOwner | undefined;

  constructor(
    private readonly gate: Gate,
    private readonly congestAfter = Infinity,
  ) {}

  get congested(): boolean {
    return this.backlog > this.congestAfter;
  }

  setOwner(owner: SinkOwner): void {
    this.owner = owner;
    if (this.closed) owner.sinkClosed('client');
  }
  start(_headers: Readonly<Record<string, string>>, opening: Frame): void {
    if (this.closed) return;
    this.started = true;
    this.write(opening);
  }
  write(frame: Frame): boolean {
    if (this.closed) return false;
    this.text += frame.raw.toString('utf8');
    this.backlog += frame.raw.length;
    return true;
  }
  drained(): Promise<void> {
    if (this.closed || !this.congested) return Promise.resolve();
    return this.gate.wait('drain', async () => undefined).then(() => {
      this.backlog = 0;
    });
  }
  end(reason: CloseReason): void {
    this.close(reason);
  }
  destroy(reason: CloseReason): void {
    this.close(reason);
  }
  detach(): void {
    this.detached = true;
    this.closed = true;
    this.owner = undefined;
  }
  /** The client hangs up. */
  hangUp(): void {
    this.close('client');
  }
  private close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    const owner = this.owner;
    this.owner = undefined;
    owner?.sinkClosed(reason);
  }
  /** Parsed SSE blocks written so far. */
  blocks(): Record<string, string>[] {
    return parseBlocks(this.text);
  }
  /** The envelopes of the events written, as parsed JSON. */
  events(): { type: string; id?: string; data: unknown }[] {
    return this.blocks()
      .filter((block) => block['event'] !== undefined)
      .map((block) => ({ ...(JSON.parse(block['data'] as string) as { id?: string; data: unknown }), type: block['event'] as string }));
  }
}

export interface Harness {
  gate: Gate;
  bus: GatedBus;
  hub: Hub;
  metrics: ReturnType<typeof createMetrics>;
  publish(events: EventInput[]): Promise<string[]>;
}

const validator = createEventValidator();

export function createHarness(options: Partial<HubOptions> = {}, historyMaxLen = 1000): Harness {
  const gate = new Gate();
  const bus = new GatedBus(new MemoryBus({ historyMaxLen, historyTtlS: 3600 }), gate);
  const metrics = createMetrics();
  const logger = createLogger('error', new Writable({ write: (_chunk, _encoding, done) => done() }));
  const hub = new Hub({
    bus,
    metrics,
    logger,
    maxConnections: 100,
    maxConnectionsPerSubject: 3,
    retryMs: 2000,
    clientBufferBytes: 1024 * 1024,
    heartbeatMs: 15000,
    replayBudgetBytes: 64 * 1024 * 1024,
    maxEventBytes: 65536,
    ...options,
  });
  return { gate, bus, hub, metrics, publish: async (events) => (await bus.publish(validator.prepare(events))).ids };
}

/** Lets microtasks and the answers already given run their course. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
