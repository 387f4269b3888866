// A documented command (`npm start`, `npm run demo`, `npm run token`…) run the way a newcomer runs
// it: npm from the PATH, in the repository, with a clean environment (no JWT key, no Redis), and
// in its own process group, so a test can signal npm alone (`kill <pid>`) or the whole group
// like a terminal's Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT } from './gateway';

export interface NpmRun {
  readonly child: ChildProcess;
  /** npm's own pid. */
  readonly pid: number;
  /** Everything printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Settles when npm exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Only what a newcomer's shell has, plus `env`: nothing of the test run's own settings. */
export function newcomerEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env };
}

/** Starts `npm <args>` in the repository root with `newcomerEnv(env)`. */
export function runNpm(args: string[], env: Record<string, string>): NpmRun {
  const child = spawn('npm', args, { cwd: ROOT, env: newcomerEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  if (child.pid === undefined) throw new Error(`npm ${args.join(' ')} did not start`);
  return { child, pid: child.pid, output: () => output, exited };
}

/** `npm <args>` to its end: exit code and output. */
export async function npmOutput(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('npm', args, { cwd: ROOT, env: newcomerEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  return { code, stdout, stderr };
}
