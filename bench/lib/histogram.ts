// A fixed-bucket latency histogram: cheap to record into on the load client's hot path, and
// mergeable across processes (sent over IPC as its non-empty buckets).
// Resolution: 0.05 ms below 100 ms, 1 ms below 10 s, 100 ms up to 60 s (clamped above).

const FINE_LIMIT_MS = 100;
const FINE_STEPS_PER_MS = 20;
const MID_LIMIT_MS = 10_000;
const COARSE_STEP_MS = 100;
const MAX_MS = 60_000;
const FINE_BUCKETS = FINE_LIMIT_MS * FINE_STEPS_PER_MS;
const MID_BUCKETS = MID_LIMIT_MS - FINE_LIMIT_MS;
const BUCKETS = FINE_BUCKETS + MID_BUCKETS + (MAX_MS - MID_LIMIT_MS) / COARSE_STEP_MS + 1;

/** Non-empty buckets as [index, count] pairs, plus the exact maximum. */
export interface HistogramData {
  buckets: [number, number][];
  count: number;
  maxMs: number;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function bucketOf(ms: number): number {
  if (!(ms > 0)) return 0; // clock skew between processes can make a tiny latency negative
  if (ms < FINE_LIMIT_MS) return Math.floor(ms * FINE_STEPS_PER_MS);
  if (ms < MID_LIMIT_MS) return FINE_BUCKETS + Math.floor(ms - FINE_LIMIT_MS);
  return Math.min(BUCKETS - 1, FINE_BUCKETS + MID_BUCKETS + Math.floor((ms - MID_LIMIT_MS) / COARSE_STEP_MS));
}

/** The upper edge of a bucket, so percentiles never flatter the result. */
function upperEdge(index: number): number {
  if (index < FINE_BUCKETS) return (index + 1) / FINE_STEPS_PER_MS;
  if (index < FINE_BUCKETS + MID_BUCKETS) return FINE_LIMIT_MS + (index - FINE_BUCKETS) + 1;
  return MID_LIMIT_MS + (index - FINE_BUCKETS - MID_BUCKETS + 1) * COARSE_STEP_MS;
}

export class Histogram {
  private counts = new Uint32Array(BUCKETS);
  count = 0;
  maxMs = 0;

  record(ms: number): void {
    this.counts[bucketOf(ms)]!++;
    this.count++;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.maxMs = 0;
  }

  toData(): HistogramData {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i] !== 0) buckets.push([i, this.counts[i]!]);
    return { buckets, count: this.count, maxMs: this.maxMs };
  }

  add(data: HistogramData): void {
    for (const [index, count] of data.buckets) this.counts[index]! += count;
    this.count += data.count;
    if (data.maxMs > this.maxMs) this.maxMs = data.maxMs;
  }

  /** The latency at quantile q (0..1): the upper edge of the bucket holding it. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(upperEdge(i), this.maxMs);
    }
    return this.maxMs;
  }

  summary(): LatencySummary {
    return { count: this.count, p50: this.quantile(0.5), p90: this.quantile(0.9), p99: this.quantile(0.99), max: this.maxMs };
  }

  /** Points of the cumulative distribution for charts: [latency ms, fraction ≤ it]. */
  cdf(points = 60): [number, number][] {
    const out: [number, number][] = [];
    if (this.count === 0) return out;
    for (let k = 1; k <= points; k++) {
      // Denser towards the tail: 1 - 10^(-3k/points) covers 0 … 0.999.
      const q = k === points ? 1 : 1 - 10 ** ((-3 * k) / points);
      out.push([this.quantile(q), q]);
    }
    return out;
  }
}
