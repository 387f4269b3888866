// A load-client process (forked by the orchestrator, one per core): opens its share of the SSE
// connections over raw sockets, counts events, checks their sequence per connection and records
// latency (publisher's `sentAt` → now, both epoch ms from performance.timeOrigin + now()).
import { connect, type Socket } from 'node:net';
import { Histogram } from './histogram';
import type { LoadCommand, LoadReport, OpenCommand, OpenedReport, StatsReport } from './messages';
import { SseReader } from './sse-reader';
import { mintToken } from './token';

const latency = new Histogram();
let received = 0;
let gaps = 0;
let disorder = 0;
let dropped = 0;
let closing = false;
const sockets = new Set<Socket>();
/** One read buffer for every socket: reads are handled synchronously, so they never overlap. */
const readBuffer = Buffer.allocUnsafe(256 * 1024);
const origin = performance.timeOrigin;

class Stream {
  lastSeq = 0;
  open = false;
  readonly reader: SseReader;
  constructor(onHead: (status: number) => void) {
    this.reader = new SseReader({
      onHead,
      onEvent: (seq, sentAt) => {
        received++;
        if (seq === this.lastSeq + 1) this.lastSeq = seq;
        else if (seq > this.lastSeq) {
          gaps += seq - this.lastSeq - 1;
          this.lastSeq = seq;
        } else disorder++;
        latency.record(origin + performance.now() - sentAt);
      },
    });
  }
}

function requestFor(command: OpenCommand, index: number): string {
  const channel = command.channels.mode === 'one' ? command.channels.name : `${command.channels.prefix}${index}`;
  const { target } = command;
  if (target.kind === 'nchan') {
    return `GET /sub?channel=${channel} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`;
  }
  const token = mintToken(target.jwtSecret ?? '', { sub: `bench-${index}`, subscribe: [channel] });
  return `GET /v1/stream?channel=${channel} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: Bearer ${token}\r\n\r\n`;
}

/** Opens one connection; resolves with an error text, or undefined once its headers said 200. */
function openOne(command: OpenCommand, index: number): Promise<string | undefined> {
  const { target } = command;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (error: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(error);
    };
    const stream = new Stream((status) => {
      if (status === 200) {
        stream.open = true;
        settle(undefined);
      } else {
        settle(`HTTP ${status}`);
        socket.destroy();
      }
    });
    const socket = connect({
      host: target.hosts[index % target.hosts.length],
      port: target.port,
      noDelay: true,
      onread: {
        buffer: readBuffer,
        callback: (bytes: number, buffer: Uint8Array) => {
          stream.reader.feed(Buffer.from(buffer.buffer, buffer.byteOffset, bytes).toString('latin1'));
          return true;
        },
      },
    });
    const timer = setTimeout(() => {
      settle('timeout');
      socket.destroy();
    }, command.timeoutMs);
    sockets.add(socket);
    socket.on('connect', () => socket.write(requestFor(command, index)));
    socket.on('error', (error: NodeJS.ErrnoException) => settle(error.code ?? error.message));
    socket.on('close', () => {
      sockets.delete(socket);
      if (stream.open && !closing) dropped++;
      settle('closed');
    });
  });
}

async function open(command: OpenCommand): Promise<OpenedReport> {
  closing = false;
  const startedAt = origin + performance.now();
  let next = command.first;
  let ok = 0;
  let failed = 0;
  let lastOpenAt = startedAt;
  const errors: string[] = [];
  const lane = async (): Promise<void> => {
    while (next < command.total) {
      const index = next;
      next += command.step;
      const error = await openOne(command, index);
      if (error === undefined) {
        ok++;
        lastOpenAt = origin + performance.now();
      } else {
        failed++;
        if (errors.length < 5) errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, lane));
  return { t: 'opened', ok, failed, errors, startedAt, lastOpenAt };
}

function stats(reset: boolean): StatsReport {
  const report: StatsReport = { t: 'stats', open: sockets.size, received, gaps, disorder, dropped, latency: latency.toData() };
  if (reset) {
    received = gaps = disorder = dropped = 0;
    latency.reset();
  }
  return report;
}

/** Resets every socket (RST): no TIME_WAIT left behind to exhaust ephemeral ports between scenarios. */
async function closeAll(): Promise<void> {
  closing = true;
  for (const socket of sockets) socket.resetAndDestroy();
  while (sockets.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
}

function send(report: LoadReport): void {
  process.send?.(report);
}

process.on('message', (command: LoadCommand) => {
  const run = async (): Promise<LoadReport> => {
    switch (command.t) {
      case 'open':
        return open(command);
      case 'stats':
        return stats(command.reset);
      case 'close':
        await closeAll();
        return { t: 'closed' };
    }
  };
  run().then(send, (error: unknown) => send({ t: 'error', message: (error as Error).message }));
});
// The orchestrator gone (Ctrl-C, crash): leave with it.
process.on('disconnect', () => process.exit(0));
