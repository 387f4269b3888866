// What the soak checked and what it found: a count of checks and of violations per invariant, and
// the first few violations in full. Each process keeps its own and the orchestrator merges them.

/** The invariants, one row each in the report. */
export const INVARIANTS = {
  order: 'per client and channel: every event once, in order (none lost, duplicated or out of order)',
  gaps: 'gateway.gap only where history was really trimmed, naming the right ids',
  state: 'state=1: retained events only before the replay or after a gap',
  delivered: 'at the end, every client holds the last event of each of its channels',
  status: 'no 5xx (503 only while its fault runs), no unexpected 4xx',
  publish: 'every publish acknowledged (retried with its idempotency key)',
  connections: 'per gateway: sse_connections = the streams its clients really hold',
  subscriptions: 'per gateway: Redis subscriptions = channels with local clients',
  rss: 'per gateway process: RSS flat (last quarter vs first quarter)',
  fds: 'per gateway process: open files flat (last quarter vs first quarter)',
} as const;

export type Invariant = keyof typeof INVARIANTS;

interface Violation {
  invariant: Invariant;
  /** The client, gateway or channel concerned. */
  where: string;
  detail: string;
  /** Epoch ms. */
  at: number;
}

export interface TallyData {
  checks: Partial<Record<Invariant, number>>;
  violations: Partial<Record<Invariant, number>>;
  /** The first violations in full. */
  examples: Violation[];
}

/** Violations kept in full per process: the counts say how many more there were. */
const EXAMPLES = 50;

export class Tally {
  private data: TallyData = { checks: {}, violations: {}, examples: [] };

  check(invariant: Invariant, count = 1): void {
    this.data.checks[invariant] = (this.data.checks[invariant] ?? 0) + count;
  }

  violation(invariant: Invariant, where: string, detail: string): void {
    this.data.violations[invariant] = (this.data.violations[invariant] ?? 0) + 1;
    if (this.data.examples.length < EXAMPLES) this.data.examples.push({ invariant, where, detail, at: Date.now() });
  }

  /** One check that passes when `ok`, else a violation. */
  expect(ok: boolean, invariant: Invariant, where: string, detail: () => string): boolean {
    this.check(invariant);
    if (!ok) this.violation(invariant, where, detail());
    return ok;
  }

  add(other: TallyData): void {
    for (const [key, value] of Object.entries(other.checks) as [Invariant, number][]) this.check(key, value);
    for (const [key, value] of Object.entries(other.violations) as [Invariant, number][]) {
      this.data.violations[key] = (this.data.violations[key] ?? 0) + value;
    }
    this.data.examples.push(...other.examples.slice(0, Math.max(0, EXAMPLES - this.data.examples.length)));
  }

  /** What was counted since the last call (for sending over IPC), and starts again from zero. */
  take(): TallyData {
    const data = this.data;
    this.data = { checks: {}, violations: {}, examples: [] };
    return data;
  }

  get snapshot(): Readonly<TallyData> {
    return this.data;
  }

  get totalChecks(): number {
    return Object.values(this.data.checks).reduce((a, b) => a + b, 0);
  }

  get totalViolations(): number {
    return Object.values(this.data.violations).reduce((a, b) => a + b, 0);
  }
}
