// The hub's per-channel ordering when the bus misbehaves: a lost live message and a failing
// history read must neither lose nor reorder events. The bus here is the real MemoryBus behind a
// thin wrapper that can drop live messages and fail history reads on demand.
import { createEventValidator } from '@sse-gateway/publisher/protocol';
import type { Bus, HistoryEntry, LiveHandler } from '../../gateway/src/bus/bus';
import { MemoryBus } from '../../gateway/src/bus/memory-bus';
import { startGateway } from '../helpers/gateway';
import { SseClient } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';

class FlakyBus implements Bus {
  readonly description = 'flaky in-memory bus';
  dropLive = 0;
  failHistory = 0;
  historyCalls = 0;
  constructor(private readonly inner: MemoryBus) {}
  get connected(): boolean {
    return this.inner.connected;
  }
  subscribe(channel: string, handler: LiveHandler): Promise<void> {
    return this.inner.subscribe(channel, (raw) => {
      if (this.dropLive > 0) this.dropLive--;
      else handler(raw);
    });
  }
  unsubscribe(channel: string): Promise<void> {
    return this.inner.unsubscribe(channel);
  }
  publish: Bus['publish'] = (events) => this.inner.publish(events);
  history(channel: string, afterId: string, limit: number): Promise<HistoryEntry[]> {
    this.historyCalls++;
    if (this.failHistory > 0) {
      this.failHistory--;
      return Promise.reject(new Error('history unavailable'));
    }
    return this.inner.history(channel, afterId, limit);
  }
  head: Bus['head'] = (channel) => this.inner.head(channel);
  state: Bus['state'] = (channel) => this.inner.state(channel);
  onStatus: Bus['onStatus'] = (listener) => this.inner.onStatus(listener);
  close: Bus['close'] = () => this.inner.close();
}

test('a lost live message is caught up from history before anything after it, even when the first read fails', async () => {
  const bus = new FlakyBus(new MemoryBus({ historyMaxLen: 100, historyTtlS: 3600 }));
  const gw = await startGateway({}, { bus });
  const client = new SseClient(gw.url, { channels: ['execution:lost'], token: await mintToken() });
  const prepare = (step: number) => createEventValidator().prepare([{ channel: 'execution:lost', type: 'execution.progress', data: { executionId: 'l', step } }]);
  try {
    await client.waitForOpen();
    const { ids: [first] } = await bus.publish(prepare(1));
    await client.waitForEvents(1);
    bus.dropLive = 1;
    bus.failHistory = 1;
    const { ids: [lost] } = await bus.publish(prepare(2)); // never announced to the hub
    const { ids: [next] } = await bus.publish(prepare(3)); // reveals the loss: its prev is `lost`
    await waitFor(() => bus.historyCalls >= 2, { message: 'a failed catch-up, then a retry' });
    // Had the failed read released `next`, `lost` would never come (or come after it).
    const events = await client.waitForEvents(3, 5000);
    expect(events.map((e) => e.data.id)).toEqual([first, lost, next]);
    expect(client.events.filter((e) => e.type === 'gateway.gap')).toEqual([]);
  } finally {
    client.close();
    await gw.close();
  }
});
