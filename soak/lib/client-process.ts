// A soak client process (forked by the orchestrator; the clients are spread over a few of them so
// none nears the per-process open-file limit): hosts raw and library clients, checks every event
// they get, and answers the orchestrator's commands (client-messages.ts) one reply each, in order.
import { ClientKit } from './client-kit';
import type { ClientCommand, ClientReport, HeldStream, StartCommand } from './client-messages';
import { hangUpDuringHandshakes } from './hangups';
import { LibraryClient } from './library-client';
import { RawClient } from './raw-client';

let kit: ClientKit | undefined;
let raw: RawClient[] = [];
let library: LibraryClient[] = [];
let hangupRounds = 0;

async function start(command: StartCommand): Promise<ClientReport> {
  kit = new ClientKit(command.host, command.port, command.jwtSecret, command.retryMs);
  const k = kit;
  raw = command.raw.map((spec) => new RawClient(spec, k));
  const url = `http://${command.host}:${command.port}`;
  library = command.library.map((spec) => new LibraryClient(spec, k, url, command.heartbeatMs));
  const starts: (() => Promise<void>)[] = [...raw.map((c) => () => c.start()), ...library.map((c) => () => c.start())];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < starts.length) await starts[next++]!();
  };
  await Promise.all(Array.from({ length: command.concurrency }, lane));
  const open = raw.filter((c) => c.open).length + library.filter((c) => c.isOpen).length;
  return { t: 'started', open, total: starts.length };
}

function snapshot(): ClientReport {
  const streams: HeldStream[] = [
    ...raw.filter((c) => c.open).map((c) => ({ subject: c.subject, channels: c.spec.channels, certain: true })),
    ...library.filter((c) => c.isOpen || !c.settled).map((c) => ({ subject: c.subject, channels: c.spec.channels, certain: c.settled })),
  ];
  return { t: 'snapshot', inFlight: raw.filter((c) => c.inFlight).length, streams };
}

function stats(k: ClientKit): ClientReport {
  const checks = [...raw.flatMap((c) => c.channelChecks), ...library.flatMap((c) => c.channelChecks)];
  const report: ClientReport = {
    t: 'stats',
    tally: k.tally.take(),
    statuses: k.statuses.splice(0),
    latency: k.latency.toData(),
    counters: {
      ...k.counters,
      open: raw.filter((c) => c.open).length + library.filter((c) => c.isOpen).length,
      delivered: checks.reduce((sum, c) => sum + c.delivered, 0),
      gaps: checks.reduce((sum, c) => sum + c.gaps, 0),
    },
  };
  k.latency.reset();
  return report;
}

/** Waits (bounded) until every client holds the last event of each of its channels, then checks it. */
async function finish(k: ClientKit, lastIds: Record<string, string>, timeoutMs: number): Promise<ClientReport> {
  const checks = [...raw.flatMap((c) => c.channelChecks), ...library.flatMap((c) => c.channelChecks)];
  const behind = (): number => checks.filter((c) => c.position !== lastIds[c.channel]).length;
  const deadline = Date.now() + timeoutMs;
  while (behind() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  const left = behind();
  for (const check of checks) {
    const last = lastIds[check.channel];
    if (last !== undefined) check.finish(last);
  }
  return { t: 'finished', tally: k.tally.take(), claims: k.claims.splice(0), behind: left };
}

async function handle(command: ClientCommand): Promise<ClientReport> {
  if (command.t === 'start') return start(command);
  const k = kit;
  if (k === undefined) return { t: 'error', message: 'not started' };
  switch (command.t) {
    case 'hold':
      k.hold();
      return { t: 'ok' };
    case 'quiet-down':
      for (const client of raw) client.quietDown(command.horizonMs);
      return { t: 'ok' };
    case 'release':
      k.release();
      return { t: 'ok' };
    case 'snapshot':
      return snapshot();
    case 'hangups':
      await hangUpDuringHandshakes(k, command.channels, command.count, `${process.pid}-${++hangupRounds}`);
      return { t: 'ok' };
    case 'stats':
      return stats(k);
    case 'finish':
      return finish(k, command.lastIds, command.timeoutMs);
    case 'stop':
      k.stop();
      for (const client of raw) client.stop();
      for (const client of library) client.stop();
      return { t: 'ok' };
  }
}

// One command at a time: the orchestrator pairs replies with its commands by their order.
let queue: Promise<void> = Promise.resolve();
process.on('message', (command: ClientCommand) => {
  queue = queue.then(() => handle(command)).then(
    (report) => void process.send?.(report),
    (error: unknown) => void process.send?.({ t: 'error', message: (error as Error).stack ?? String(error) } satisfies ClientReport),
  );
});
// The orchestrator gone (Ctrl-C, crash): leave with it.
process.on('disconnect', () => process.exit(0));
