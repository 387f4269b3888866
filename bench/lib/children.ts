// The orchestrator's side of its child processes: fork a TypeScript entry under tsx, send a
// command, await its one reply (each child answers its commands in order).
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { stopProcess, track } from './proc';

export class Child<Command, Report> {
  readonly process: ChildProcess;
  private readonly waiting: { resolve: (report: Report) => void; reject: (error: Error) => void }[] = [];
  private exited = false;

  constructor(entry: string, name: string) {
    this.process = track(
      fork(join(__dirname, entry), [], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: { ...process.env, BENCH_CHILD: name },
      }),
    );
    this.process.on('message', (report: Report) => this.waiting.shift()?.resolve(report));
    // A send after the channel closed (Ctrl-C while a step runs) rejects its call instead.
    this.process.on('error', () => undefined);
    this.process.once('exit', (code, signal) => {
      this.exited = true;
      const error = new Error(`${name} exited (${signal ?? code})`);
      for (const waiter of this.waiting.splice(0)) waiter.reject(error);
    });
  }

  get pid(): number {
    return this.process.pid ?? 0;
  }

  call(command: Command): Promise<Report> {
    if (this.exited || !this.process.connected) return Promise.reject(new Error('child process has exited'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.process.send(command as object, (error) => {
        if (error) reject(error);
      });
    });
  }

  async stop(): Promise<void> {
    this.process.disconnect?.();
    await stopProcess(this.process, 2000);
  }
}
