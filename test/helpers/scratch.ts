// Folders for the data of servers that tests start. Under the test run's own folder (made by the
// global setup) when there is one: a server started with a pidfile there is killed by the global
// teardown if its test could not stop it (a worker killed on a timeout, say), so no redis-server
// outlives the run.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUN_DIR_VARIABLE = 'SSE_TEST_RUN_DIR';

/** Makes the run's folder and tells the test workers (they inherit the environment). */
export function createRunDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sse-test-run-'));
  process.env[RUN_DIR_VARIABLE] = dir;
  return dir;
}

/** A new empty folder for one server's data. */
export function scratchDir(prefix: string): string {
  const runDir = process.env[RUN_DIR_VARIABLE];
  if (runDir === undefined) return mkdtempSync(join(tmpdir(), `${prefix}-`));
  mkdirSync(runDir, { recursive: true });
  return mkdtempSync(join(runDir, `${prefix}-`));
}

/** Kills every process whose pidfile is still in the run's folder, then removes the folder. */
export function cleanRunDir(runDir: string): void {
  for (const pidfile of pidfiles(runDir)) {
    const pid = Number(readFileSync(pidfile, 'utf8').trim());
    try {
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(runDir, { recursive: true, force: true });
}

function pidfiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
  return names.filter((name) => name.endsWith('.pid')).map((name) => join(dir, name));
}
