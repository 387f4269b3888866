// A one-line progress bar on stderr, redrawn with \r (plain lines when stderr is not a terminal).
export class Progress {
  private done = 0;
  private lastLine = '';
  private lastDone = -1;
  private lastPrinted = 0;
  private readonly started = performance.now();

  constructor(private total: number) {}

  /** Counts one unit of work done. */
  tick(): void {
    this.done = Math.min(this.total, this.done + 1);
  }

  addTotal(units: number): void {
    this.total += units;
  }

  show(status: string): void {
    const fraction = this.total === 0 ? 1 : this.done / this.total;
    const width = 24;
    const filled = Math.round(fraction * width);
    const elapsed = Math.round((performance.now() - this.started) / 1000);
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}% ${String(elapsed).padStart(4)}s  ${status}`;
    if (process.stderr.isTTY) {
      const columns = process.stderr.columns || 120;
      process.stderr.write(`\r${line.slice(0, columns - 1).padEnd(Math.min(columns - 1, this.lastLine.length))}`);
    } else if (this.done !== this.lastDone || performance.now() - this.lastPrinted > 10_000) {
      // Not a terminal (CI, a log file): a line per unit of work, or every 10 s.
      process.stderr.write(`${line}\n`);
      this.lastDone = this.done;
      this.lastPrinted = performance.now();
    }
    this.lastLine = line;
  }

  /** Leaves the bar's line so normal output starts on a fresh one. */
  end(): void {
    if (process.stderr.isTTY) process.stderr.write('\n');
  }
}
