// "RSS and open files flat": for each gateway process that lived long enough, the median of the
// last quarter of its samples against the median of the first quarter, within a tolerance that
// a leak of a fraction of the streams' churn exceeds and normal heap breathing does not.
import type { Tally } from './tally';

export interface ProcessSample {
  /** Epoch ms. */
  t: number;
  rss: number;
  fds: number;
  connections: number;
}

/** Fewer samples than this (a process restarted soon after) and the process is not judged. */
const MIN_SAMPLES = 8;
/**
 * RSS may grow by this factor plus this many bytes, plus PER_CONNECTION for each stream more
 * than it held in the first quarter (a restarted gateway fills up as clients move back to it).
 */
const RSS_FACTOR = 1.25;
const RSS_SLACK = 24 * 1024 * 1024;
const PER_CONNECTION = 64 * 1024;
/**
 * Open files beside one per stream may grow by this many: the load balancer's idle keep-alive
 * connections to a gateway (up to 32 per nginx worker) come and go with publish traffic.
 */
const FD_SLACK = 80;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

export interface Flatness {
  name: string;
  pid: number;
  samples: number;
  rssFirst: number;
  rssLast: number;
  /** Open files not counting one per stream. */
  fdsFirst: number;
  fdsLast: number;
  connectionsFirst: number;
  connectionsLast: number;
}

/** Judges every process with enough samples; returns what it compared (for the report). */
export function checkFlatness(processes: ReadonlyMap<number, { name: string; samples: ProcessSample[] }>, tally: Tally): Flatness[] {
  const results: Flatness[] = [];
  for (const [pid, { name, samples }] of processes) {
    if (samples.length < MIN_SAMPLES) continue;
    const quarter = Math.floor(samples.length / 4);
    const first = samples.slice(0, quarter);
    const last = samples.slice(samples.length - quarter);
    const result: Flatness = {
      name, pid, samples: samples.length,
      rssFirst: median(first.map((s) => s.rss)),
      rssLast: median(last.map((s) => s.rss)),
      fdsFirst: median(first.map((s) => s.fds - s.connections)),
      fdsLast: median(last.map((s) => s.fds - s.connections)),
      connectionsFirst: median(first.map((s) => s.connections)),
      connectionsLast: median(last.map((s) => s.connections)),
    };
    const allowed = result.rssFirst * RSS_FACTOR + RSS_SLACK + Math.max(0, result.connectionsLast - result.connectionsFirst) * PER_CONNECTION;
    results.push(result);
    const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;
    tally.expect(result.rssLast <= allowed, 'rss', `${name} (pid ${pid})`, () =>
      `RSS grew from ${mib(result.rssFirst)} to ${mib(result.rssLast)} (median of first vs last quarter of ${samples.length} samples; ${result.connectionsFirst} → ${result.connectionsLast} streams; ${mib(allowed)} allowed)`);
    tally.expect(result.fdsLast <= result.fdsFirst + FD_SLACK, 'fds', `${name} (pid ${pid})`, () =>
      `open files beside streams grew from ${result.fdsFirst} to ${result.fdsLast}`);
  }
  return results;
}
