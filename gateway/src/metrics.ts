import { readdir } from 'node:fs/promises';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The gateway's Prometheus metrics, in a registry of its own (several gateways may share a process in tests). */
export interface Metrics {
  readonly registry: Registry;
  readonly connections: Gauge;
  readonly eventsPublished: Counter;
  readonly eventsDelivered: Counter;
  readonly eventsDropped: Counter<'reason'>;
  readonly slowClientDisconnects: Counter;
  readonly deliveryLatency: Histogram;
  readonly busConnected: Gauge;
  readonly replayedEvents: Counter;
  readonly gaps: Counter;
  readonly busSubscriptions: Gauge;
}

/** The gateway's metrics, with prom-client's process metrics (CPU, memory, event loop lag) beside them. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  openFilesGauge(registry);
  return {
    registry,
    connections: new Gauge({ name: 'sse_connections', help: 'Open SSE streams on this gateway', registers }),
    eventsPublished: new Counter({ name: 'sse_events_published_total', help: 'Events published through this gateway (HTTP publish)', registers }),
    eventsDelivered: new Counter({ name: 'sse_events_delivered_total', help: 'Event frames written to SSE clients (one per client)', registers }),
    eventsDropped: new Counter({
      name: 'sse_events_dropped_total',
      help: 'Bus messages dropped before delivery, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    slowClientDisconnects: new Counter({
      name: 'sse_slow_client_disconnects_total',
      help: 'Clients disconnected because their unsent bytes exceeded CLIENT_BUFFER_BYTES',
      registers,
    }),
    deliveryLatency: new Histogram({
      name: 'sse_delivery_latency_seconds',
      help: 'From an event\'s publish time to its write on this gateway',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    busConnected: new Gauge({ name: 'sse_bus_connected', help: '1 when the bus is connected and subscribed, else 0', registers }),
    replayedEvents: new Counter({ name: 'sse_events_replayed_total', help: 'History events written to resuming clients', registers }),
    gaps: new Counter({ name: 'sse_gaps_total', help: 'gateway.gap notices sent (history no longer reached a cursor)', registers }),
    busSubscriptions: new Gauge({ name: 'sse_bus_subscriptions', help: 'Channels this gateway is subscribed to on the bus', registers }),
  };
}

/**
 * prom-client counts open files with a synchronous readdir of /proc/self/fd: with 14,000 open
 * sockets that blocked the event loop for 40-100 ms on every scrape (every stream's events waited).
 * The same count, read off the main thread.
 */
function openFilesGauge(registry: Registry): void {
  if (registry.getSingleMetric('process_open_fds') === undefined) return; // not on this platform
  registry.removeSingleMetric('process_open_fds');
  new Gauge({
    name: 'process_open_fds',
    help: 'Number of open file descriptors.',
    registers: [registry],
    async collect() {
      // Less the one the listing itself holds open.
      this.set((await readdir('/proc/self/fd')).length - 1);
    },
  });
}
