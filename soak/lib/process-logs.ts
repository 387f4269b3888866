// Every line each process of the soak printed, in `<dir>/<name>-<pid>.log`: what to read when a
// violation names a gateway and a moment.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

export class ProcessLogs {
  private readonly files = new Map<number, WriteStream>();

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  write(name: string, pid: number, line: string): void {
    let file = this.files.get(pid);
    if (file === undefined) this.files.set(pid, (file = createWriteStream(join(this.dir, `${name}-${pid}.log`), { flags: 'a' })));
    file.write(`${line}\n`);
  }

  close(): void {
    for (const file of this.files.values()) file.end();
    this.files.clear();
  }
}
