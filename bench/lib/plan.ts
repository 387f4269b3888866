// What a run measures: the default plan and --quick (under 2 minutes).

export interface Plan {
  mode: 'quick' | 'default';
  /** How long the publisher runs at each rate. */
  stepMs: number;
  idle: number[];
  broadcast: { subscribers: number; rates: number[] }[];
  channels: { count: number; rates: number[]; max: boolean };
  /** Bytes of padding in each event's data: the envelope is then ~200 bytes. */
  padBytes: number;
  /** A step with p99 above this (ms), or any loss, ends the rate ladder. */
  p99LimitMs: number;
  /** A channel's history replayed to many readers at once while a witness subscriber is timed. */
  replay: { events: number; eventBytes: number; readers: number; witnessRate: number; baselineMs: number };
  /** Clients with cursors on several gateways; one is killed, then all are restarted one by one. */
  storm: { clients: number; gateways: number; rate: number };
}

/** Connections the machine allows in one server process: the open-file limit less a margin. */
function maxIdleConnections(openFileLimit: number): number {
  return Math.min(20_000, openFileLimit - 200);
}

export function makePlan(quick: boolean, openFileLimit: number): Plan {
  const big = maxIdleConnections(openFileLimit);
  if (quick) {
    return {
      mode: 'quick',
      stepMs: 2000,
      idle: [Math.min(5000, big)],
      broadcast: [{ subscribers: 1000, rates: [50, 200, 400] }],
      channels: { count: 2000, rates: [1000, 5000], max: true },
      padBytes: 64,
      p99LimitMs: 100,
      replay: { events: 1000, eventBytes: 15_000, readers: 20, witnessRate: 10, baselineMs: 2000 },
      storm: { clients: Math.min(1500, big), gateways: 3, rate: 2 },
    };
  }
  // The goals (goals.ts) read: idle at 10,000 and the largest N; broadcast 1k at 10 msg/s and its
  // highest rate; broadcast 10k at 1 msg/s; channels at 1k msg/s and its throughput. The first two
  // rates of every ladder always run (MIN_STEPS in scenarios.ts), so those steps are always there.
  return {
    mode: 'default',
    stepMs: 6000,
    idle: [10_000, ...(big > 10_000 ? [big] : [])],
    broadcast: [
      { subscribers: 1000, rates: [10, 50, 100, 200, 400, 800] },
      { subscribers: 10_000, rates: [1, 10, 50, 100] },
    ],
    channels: { count: 10_000, rates: [1000, 5000, 10_000, 15_000, 20_000], max: true },
    padBytes: 64,
    p99LimitMs: 100,
    replay: { events: 1000, eventBytes: 15_000, readers: 100, witnessRate: 10, baselineMs: 5000 },
    storm: { clients: Math.min(10_000, big), gateways: 3, rate: 2 },
  };
}
