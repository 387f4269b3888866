// A newcomer's machine: two `npm start`s and `npm run token`, in any order, with no JWT key set.
// Every development gateway and the token tool use the user's one development secret, so a token
// minted at any point is accepted by every gateway, whichever of them started first.
import { join } from 'node:path';
import { freePort } from '../helpers/free-port';
import { npmOutput, runNpm, type NpmRun } from '../helpers/npm-run';
import { scratchDir } from '../helpers/scratch';
import { waitFor } from '../helpers/wait-for';

interface DevGateway {
  url: string;
  run: NpmRun;
}

const running: NpmRun[] = [];

afterEach(async () => {
  for (const run of running.splice(0)) {
    try {
      process.kill(-run.pid, 'SIGKILL'); // the whole group: npm and the gateway it runs
    } catch {
      // already gone
    }
    await run.exited;
  }
});

/** `npm start` with its TMPDIR (where the development secret lives) and a free port, once ready. */
async function npmStart(tmp: string): Promise<DevGateway> {
  const port = await freePort();
  const run = runNpm(['start'], { TMPDIR: tmp, PORT: String(port), HOST: '127.0.0.1' });
  running.push(run);
  let exited = false;
  void run.exited.then(() => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => exited || (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200, {
    timeoutMs: 20000,
    message: `npm start on port ${port}`,
    detail: run.output,
  });
  if (exited) throw new Error(`npm start exited while starting:\n${run.output()}`);
  return { url, run };
}

/** `npm run -s token` as the README shows it, with the same TMPDIR: the token alone. */
async function npmToken(tmp: string, sub: string): Promise<string> {
  const result = await npmOutput(['run', '-s', 'token', '--', '--sub', sub, '--subscribe', 'execution:*', '--publish', 'execution:*'], { TMPDIR: tmp });
  if (result.code !== 0) throw new Error(`npm run token exited ${result.code}: ${result.stderr}`);
  return result.stdout.trim();
}

/** The HTTP status of opening a stream with `token` (the stream is closed at once). */
async function streamStatus(gateway: DevGateway, token: string): Promise<number> {
  const abort = new AbortController();
  const response = await fetch(`${gateway.url}/v1/stream?channel=execution:1`, { headers: { Authorization: `Bearer ${token}` }, signal: abort.signal });
  abort.abort();
  return response.status;
}

async function publishStatus(gateway: DevGateway, token: string): Promise<number> {
  const response = await fetch(`${gateway.url}/v1/publish`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ channel: 'execution:1', type: 'execution.status', data: { executionId: '1', status: 'running' } }),
  });
  await response.body?.cancel();
  return response.status;
}

/** Every token is accepted by every gateway, to subscribe and to publish. */
async function expectAccepted(gateways: DevGateway[], tokens: string[]): Promise<void> {
  for (const gateway of gateways) {
    for (const token of tokens) {
      expect({ url: gateway.url, stream: await streamStatus(gateway, token), publish: await publishStatus(gateway, token) })
        .toEqual({ url: gateway.url, stream: 200, publish: 202 });
    }
  }
}

function secretFile(tmp: string): string {
  return join(tmp, `sse-gateway-${process.getuid!()}`, 'dev-secret');
}

test('token first, then two gateways starting together', async () => {
  const tmp = scratchDir('first-run');
  const early = await npmToken(tmp, 'early');
  const gateways = await Promise.all([npmStart(tmp), npmStart(tmp)]);
  const late = await npmToken(tmp, 'late');
  await expectAccepted(gateways, [early, late]);
  // The first log lines say where the secret is.
  for (const { run } of gateways) expect(run.output()).toContain(`development HS256 secret in ${secretFile(tmp)}`);
});

test('one gateway, a token, then a second gateway', async () => {
  const tmp = scratchDir('first-run');
  const first = await npmStart(tmp);
  const token = await npmToken(tmp, 'between');
  const second = await npmStart(tmp);
  await expectAccepted([first, second], [token]);
});

test('two gateways starting together, then a token', async () => {
  const tmp = scratchDir('first-run');
  const gateways = await Promise.all([npmStart(tmp), npmStart(tmp)]);
  await expectAccepted(gateways, [await npmToken(tmp, 'after')]);
});
