// A child process of the local topology: started in its own process group (so a terminal's
// Ctrl-C reaches only the supervisor, which then stops everything in order), its output split
// into lines, and stopped by signal with a wait for its exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Settles when the process has exited, however it ended. */
  readonly exited: Promise<ProcessExit>;
  /** The last lines it printed (stdout and stderr), for error messages. */
  recentOutput(): string;
  /** True until the process has exited. */
  isRunning(): boolean;
  /** Sends `signal` (default SIGTERM) and waits for the exit; SIGKILL after STOP_TIMEOUT_MS. */
  stop(options?: { signal?: NodeJS.Signals }): Promise<ProcessExit>;
}

export interface StartProcessOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called with each line of output and the pid that wrote it; default: none (kept only in `recentOutput`). */
  onLine?: (name: string, line: string, pid: number) => void;
}

const RECENT_LINES = 40;

export class ProcessStartError extends Error {
  override readonly name = 'ProcessStartError';
}

export function startProcess(name: string, command: string, args: readonly string[], options: StartProcessOptions = {}): ManagedProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const recent: string[] = [];
  const record = (line: string): void => {
    recent.push(line);
    if (recent.length > RECENT_LINES) recent.shift();
    options.onLine?.(name, line, child.pid ?? -1);
  };
  for (const stream of [child.stdout, child.stderr]) {
    if (stream !== null) createInterface({ input: stream, crlfDelay: Infinity }).on('line', record);
  }
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => {
      record(`failed to start ${command}: ${error.message}`);
      resolve({ code: null, signal: null });
    });
  });
  let running = true;
  void exited.then(() => {
    running = false;
  });
  return {
    name,
    pid: child.pid ?? -1,
    exited,
    recentOutput: () => recent.join('\n'),
    isRunning: () => running,
    stop: (stopOptions) => stopChild(child, exited, () => running, stopOptions),
  };
}

/** Longer than a gateway's drain (SHUTDOWN_GRACE_MS, 10 s by default): past it, SIGKILL. */
const STOP_TIMEOUT_MS = 15000;

async function stopChild(
  child: ChildProcess,
  exited: Promise<ProcessExit>,
  isRunning: () => boolean,
  { signal = 'SIGTERM' }: { signal?: NodeJS.Signals } = {},
): Promise<ProcessExit> {
  if (!isRunning()) return exited;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}
