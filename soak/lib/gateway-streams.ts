// Which streams each gateway process says it holds, from its own log: one `stream opened` line
// (subject, channels) when a stream starts and one `stream closed` when it ends. Keyed by pid, so
// the lines of a killed process never mix with those of its successor.

export interface LoggedStream {
  channels: string[];
  /** Streams of this subject open at once (a library client changing streams may have two). */
  count: number;
}

export class GatewayStreams {
  private readonly byPid = new Map<number, Map<string, LoggedStream>>();
  /** Lines that were not JSON (a crash's stack trace, say), kept for the report. */
  readonly oddLines: string[] = [];

  onLine(name: string, line: string, pid: number): void {
    if (!name.startsWith('gateway-')) return;
    let entry: { message?: unknown; subject?: unknown; channels?: unknown; level?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      if (this.oddLines.length < 50) this.oddLines.push(`${name}: ${line.slice(0, 300)}`);
      return;
    }
    if (entry.level === 'error' && this.oddLines.length < 50) this.oddLines.push(`${name}: ${line.slice(0, 300)}`);
    if (typeof entry.subject !== 'string' || !Array.isArray(entry.channels)) return;
    const streams = this.streams(pid);
    const known = streams.get(entry.subject);
    if (entry.message === 'stream opened') {
      if (known === undefined) streams.set(entry.subject, { channels: entry.channels as string[], count: 1 });
      else known.count++;
    } else if (entry.message === 'stream closed' && known !== undefined) {
      if (--known.count === 0) streams.delete(entry.subject);
    }
  }

  /** The streams `pid` has opened and not closed. */
  streams(pid: number): Map<string, LoggedStream> {
    let streams = this.byPid.get(pid);
    if (streams === undefined) this.byPid.set(pid, (streams = new Map()));
    return streams;
  }

  /** A process that is gone: forget it. */
  forget(pid: number): void {
    this.byPid.delete(pid);
  }
}
