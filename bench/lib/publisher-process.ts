// The publisher process (forked by the orchestrator): publishes `bench.tick` events at a paced
// rate, or as fast as it can, through one of three paths —
//   sdk           the publisher SDK into Redis (one publish() per event when one is due per tick,
//                 publishMany() for the events due together in one tick: a batching worker);
//   gateway-http  POST /v1/publish with a JSON array of the events due in one tick;
//   nchan-http    POST /pub?channel=… to nginx, one event per request (Nchan has no batch).
// Each event carries its channel's sequence number and `sentAt` (epoch ms, fractional) taken
// just before it is handed to the path.
import { createPublisher, type AnyPublishEvent, type Publisher } from '@sse-gateway/publisher';
import { Pool } from 'undici';
import type { PublisherCommand, PublisherDone, PublisherInit, PublisherReport, PublisherRun } from './messages';

const TICK_MS = 5;
/** Most events handed to one publishMany / HTTP array. */
const MAX_BATCH = 200;
/** Requests (batches) in flight before the publisher stops sending and counts itself behind. */
const MAX_IN_FLIGHT = 64;
/** "As fast as possible": lanes, each with one request in flight. */
const MAX_RATE_LANES = { sdk: 4, 'gateway-http': 4, 'nchan-http': 128 } as const;
const MAX_RATE_BATCH = { sdk: 100, 'gateway-http': 100, 'nchan-http': 1 } as const;

interface Sender {
  send(events: AnyPublishEvent[]): Promise<void>;
  close(): Promise<void>;
}

let init: PublisherInit | undefined;
let sender: Sender | undefined;
let seqs: number[] = [];
let cursor = 0;
let pad = '';
const origin = performance.timeOrigin;

function channelCount(): number {
  return init?.channels.mode === 'each' ? init.channels.count : 1;
}

function nextEvent(): AnyPublishEvent {
  const settings = init!;
  const index = cursor++ % channelCount();
  const channel = settings.channels.mode === 'one' ? settings.channels.name : `${settings.channels.prefix}${index}`;
  const seq = ++seqs[index]!;
  return { channel, type: 'bench.tick', data: { seq, sentAt: origin + performance.now(), pad } };
}

function sdkSender(settings: PublisherInit): Sender {
  const publisher: Publisher = createPublisher({ redisUrl: settings.redisUrl, schemasDir: settings.schemasDir, historyMaxLen: settings.historyMaxLen ?? 100 });
  return {
    async send(events) {
      if (events.length === 1) await publisher.publish(events[0]!);
      else await publisher.publishMany(events);
    },
    close: () => publisher.close(),
  };
}

function httpSender(settings: PublisherInit): Sender {
  const pool = new Pool(settings.baseUrl, { connections: settings.mode === 'nchan-http' ? 128 : 8, pipelining: 1 });
  const post = async (path: string, body: string, headers: Record<string, string>): Promise<void> => {
    const response = await pool.request({ method: 'POST', path, body, headers });
    const text = await response.body.text();
    if (response.statusCode >= 300) throw new Error(`HTTP ${response.statusCode} ${text.slice(0, 200)}`);
  };
  if (settings.mode === 'nchan-http') {
    return {
      // Nchan stores the body as is: publish the same envelope shape the gateway would deliver.
      send: async (events) => {
        await Promise.all(
          events.map((event) =>
            post(`/pub?channel=${event.channel}`, JSON.stringify({ id: '', channel: event.channel, type: event.type, time: new Date().toISOString(), data: event.data }), {
              'content-type': 'application/json',
            }),
          ),
        );
      },
      close: () => pool.close(),
    };
  }
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${settings.token ?? ''}` };
  return {
    send: (events) => post('/v1/publish', JSON.stringify(events.length === 1 ? events[0] : events), headers),
    close: () => pool.close(),
  };
}

interface Counters {
  published: number;
  failed: number;
  errors: string[];
  behindTicks: number;
  inFlight: number;
}

function dispatch(counters: Counters, events: AnyPublishEvent[]): Promise<void> {
  counters.inFlight++;
  return sender!.send(events).then(
    () => {
      counters.published += events.length;
    },
    (error: unknown) => {
      counters.failed += events.length;
      if (counters.errors.length < 5) counters.errors.push((error as Error).message.slice(0, 300));
    },
  ).finally(() => {
    counters.inFlight--;
  });
}

/** Sends what is due every tick; waits for the last requests before reporting. */
async function paced(run: PublisherRun & { rate: number }, counters: Counters): Promise<void> {
  const total = Math.round((run.rate * run.durationMs) / 1000);
  const started = performance.now();
  let handed = 0;
  const pending = new Set<Promise<void>>();
  while (handed < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) * run.rate) / 1000) + 1);
    if (due > handed && counters.inFlight >= MAX_IN_FLIGHT) counters.behindTicks++;
    while (due > handed && counters.inFlight < MAX_IN_FLIGHT) {
      const batch: AnyPublishEvent[] = [];
      while (batch.length < MAX_BATCH && handed < due) {
        batch.push(nextEvent());
        handed++;
      }
      const promise = dispatch(counters, batch);
      pending.add(promise);
      void promise.finally(() => pending.delete(promise));
    }
    if (performance.now() - started > run.durationMs * 2) break; // hopelessly behind: stop
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all(pending);
}

async function flat(run: PublisherRun, counters: Counters): Promise<void> {
  const mode = init!.mode;
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (performance.now() - started < run.durationMs) {
      const batch = Array.from({ length: MAX_RATE_BATCH[mode] }, nextEvent);
      await dispatch(counters, batch);
    }
  };
  await Promise.all(Array.from({ length: MAX_RATE_LANES[mode] }, lane));
}

async function handle(command: PublisherCommand): Promise<PublisherReport> {
  switch (command.t) {
    case 'init': {
      await sender?.close();
      // The same channels on another path: sequence numbers go on, so subscribers see no jump.
      const sameChannels = init !== undefined && JSON.stringify(init.channels) === JSON.stringify(command.channels);
      init = command;
      pad = 'x'.repeat(command.padBytes);
      if (!sameChannels) {
        seqs = new Array<number>(channelCount()).fill(0);
        cursor = 0;
      }
      sender = command.mode === 'sdk' ? sdkSender(command) : httpSender(command);
      return { t: 'ready' };
    }
    case 'run': {
      const counters: Counters = { published: 0, failed: 0, errors: [], behindTicks: 0, inFlight: 0 };
      const started = performance.now();
      if (command.rate === 'max') await flat(command, counters);
      else await paced({ ...command, rate: command.rate }, counters);
      const done: PublisherDone = {
        t: 'done', published: counters.published, failed: counters.failed, errors: counters.errors,
        wallMs: performance.now() - started, behindTicks: counters.behindTicks,
      };
      return done;
    }
    case 'close':
      await sender?.close();
      sender = undefined;
      return { t: 'closed' };
  }
}

process.on('message', (command: PublisherCommand) => {
  handle(command).then(
    (report) => process.send?.(report),
    (error: unknown) => process.send?.({ t: 'error', message: (error as Error).message }),
  );
});
process.on('disconnect', () => process.exit(0));
