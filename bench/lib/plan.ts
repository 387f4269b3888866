// What a run measures: the default plan (under 10 minutes with Nchan) and --quick (under 2).

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
    };
  }
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
  };
}
