// The documented commands stop what they started when their npm gets a signal: `kill <pid>`
// (SIGTERM) or SIGINT to npm's pid alone, as a supervisor or a script sends it, and a terminal's
// Ctrl-C (SIGINT to the whole foreground group). Afterwards npm has exited 0, nothing listens on
// the ports it served, and every process it started (found in /proc before the signal) is gone.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from '../helpers/free-port';
import { ROOT } from '../helpers/gateway';
import { newcomerEnv, runNpm, type NpmRun } from '../helpers/npm-run';
import { commandLine, descendants, isGone, processesWithEnv } from '../helpers/process-tree';
import { scratchDir } from '../helpers/scratch';
import { waitFor } from '../helpers/wait-for';

const running: NpmRun[] = [];
/** Every process seen under a run's npm: what a failed test must still stop, orphaned or not. */
const seen = new Map<NpmRun, Set<number>>();
const tmpOf = new Map<NpmRun, string>();

/** The processes a run started, found both ways: under npm, and by the TMPDIR they inherited. */
function startedBy(run: NpmRun): number[] {
  return [...new Set([...descendants(run.pid), ...processesWithEnv('TMPDIR', tmpOf.get(run)!)])].filter((pid) => pid !== run.pid);
}

afterEach(async () => {
  for (const run of running.splice(0)) {
    for (const pid of new Set([...startedBy(run), ...(seen.get(run) ?? []), run.pid])) {
      try {
        if (!isGone(pid)) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await run.exited;
  }
  seen.clear();
  tmpOf.clear();
});

/** True when nothing accepts connections on 127.0.0.1:`port`. */
function portClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

async function answers200(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
  await response?.body?.cancel();
  return response?.status === 200;
}

/** Runs `npm <args>` and waits until `ready(output)` holds; fails with the output when npm exits first. */
async function start(args: string[], ready: (run: NpmRun) => Promise<boolean> | boolean, env: Record<string, string> = {}): Promise<NpmRun> {
  // A TMPDIR of its own, inherited by everything it starts: how the test finds them all later.
  const tmp = scratchDir('signals');
  const run = runNpm(args, { TMPDIR: tmp, ...env });
  running.push(run);
  tmpOf.set(run, tmp);
  let exited = false;
  void run.exited.then(() => (exited = true));
  await waitFor(async () => exited || (await ready(run)), { timeoutMs: 25000, message: `npm ${args.join(' ')} to be ready`, detail: run.output });
  if (exited) throw new Error(`npm ${args.join(' ')} exited while starting:\n${run.output()}`);
  return run;
}

/**
 * Sends `signal` to npm's pid (or, for Ctrl-C, to its whole process group) and checks that npm
 * exits 0, `ports` are closed and every process npm had started is gone.
 */
async function stopAndCheck(run: NpmRun, signal: NodeJS.Signals, ports: number[], { group = false } = {}): Promise<void> {
  const tree = startedBy(run);
  seen.set(run, new Set(tree));
  expect(tree.length).toBeGreaterThan(0);
  process.kill(group ? -run.pid : run.pid, signal);
  const exit = await run.exited;
  expect({ exit, output: exit.code === 0 ? '' : run.output() }).toEqual({ exit: { code: 0, signal: null }, output: '' });
  const left = [...new Set([...tree, ...startedBy(run)])].filter((pid) => !isGone(pid)).map((pid) => `${pid} ${commandLine(pid)}`);
  expect(left).toEqual([]);
  for (const port of ports) expect({ port, closed: await portClosed(port) }).toEqual({ port, closed: true });
}

describe('npm start', () => {
  test.each(['SIGTERM', 'SIGINT'] as const)('%s to npm stops the gateway', async (signal) => {
    const port = await freePort();
    const run = await start(['start'], () => answers200(`http://127.0.0.1:${port}/readyz`), { PORT: String(port), HOST: '127.0.0.1' });
    await stopAndCheck(run, signal, [port]);
    expect(run.output()).toContain(`"signal":"${signal}"`); // the gateway itself drained and said so
  });
});

test('npm run demo: SIGTERM to npm stops the demo', async () => {
  const port = await freePort();
  const run = await start(['run', 'demo'], () => answers200(`http://127.0.0.1:${port}/demo/`), { PORT: String(port), HOST: '127.0.0.1' });
  await stopAndCheck(run, 'SIGTERM', [port]);
  expect(run.output()).toContain('sse-gateway demo: stopping');
});

describe('npm run cluster', () => {
  /** The gateways' ports, from the summary the cluster prints once everything is up. */
  function gatewayPorts(output: string): number[] {
    return [...output.matchAll(/^ {2}gateway-\d+\s+http:\/\/127\.0\.0\.1:(\d+)\s+pid \d+$/gm)].map((match) => Number(match[1]));
  }

  async function startCluster(extra: string[]): Promise<{ run: NpmRun; ports: number[] }> {
    const port = await freePort();
    const run = await start(['run', 'cluster', '--', '--port', String(port), '--gateways', '2', ...extra], (r) => r.output().includes('Ctrl-C stops everything.'));
    const ports = [port, ...gatewayPorts(run.output())];
    expect(ports).toHaveLength(3);
    return { run, ports };
  }

  test.each(['SIGTERM', 'SIGINT'] as const)('%s to npm stops the load balancer, the gateways and Redis', async (signal) => {
    const { run, ports } = await startCluster(['--no-demo']);
    await stopAndCheck(run, signal, ports);
  });

  /** Runs the token recipe the cluster printed, as a user pastes it into a shell: the token it sets. */
  async function tokenFromRecipe(output: string): Promise<string> {
    const recipe = /^ {2}(TOKEN=\$\(.*\))$/m.exec(output)?.[1];
    if (recipe === undefined) throw new Error(`no TOKEN=$(…) line in:\n${output}`);
    const child = spawn('sh', ['-c', `${recipe} && printf %s "$TOKEN"`], { cwd: ROOT, env: newcomerEnv({}), stdio: ['ignore', 'pipe', 'inherit'] });
    let token = '';
    child.stdout.on('data', (chunk: Buffer) => (token += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(0);
    return token;
  }

  test("a terminal's Ctrl-C stops everything in order, the gateways draining, not killed", async () => {
    const { run, ports } = await startCluster([]);
    // On the way, the printed recipe: its token opens a stream through the load balancer.
    const token = await tokenFromRecipe(run.output());
    const abort = new AbortController();
    const stream = await fetch(`http://127.0.0.1:${ports[0]}/v1/stream?channel=execution:1`, { headers: { Authorization: `Bearer ${token}` }, signal: abort.signal });
    expect(stream.status).toBe(200);
    abort.abort();
    await stopAndCheck(run, 'SIGINT', ports, { group: true });
    // npm forwards the terminal's SIGINT to the cluster, which already got it: not a second Ctrl-C.
    expect(run.output()).not.toContain('killing everything at once');
    expect(run.output()).toMatch(/\[cluster\] gateway-1 exited \(code 0\)/);
    expect(run.output()).toMatch(/\[cluster\] gateway-2 exited \(code 0\)/);
    expect(run.output()).toMatch(/\[cluster\] demo exited \(code 0\)/);
  });

  test('SIGTERM to npm while it is still starting stops what had started', async () => {
    const port = await freePort();
    // Ready enough: Redis runs, the gateways are not up yet.
    const run = await start(['run', 'cluster', '--', '--port', String(port), '--gateways', '2', '--no-demo'], (r) =>
      startedBy(r).some((pid) => commandLine(pid).startsWith('redis-server')),
    );
    expect(run.output()).not.toContain('Ctrl-C stops everything.');
    await stopAndCheck(run, 'SIGTERM', [port]);
    expect(run.output()).toContain('[cluster] stopped what had started');
  });
});
