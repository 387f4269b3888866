// The package as users get it: @sse-gateway/client imported by plain Node (ESM, from dist/, through
// its package.json exports) streams from a real gateway; its bundled event types stay those of the
// schemas. (Its compile-time types are checked by types-check.ts.)
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublisher } from '@sse-gateway/publisher';
import { ROOT, startGateway } from '../helpers/gateway';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';

function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, env, timeout: 30000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
    );
  });
}

test('plain Node imports the built ESM package and streams an event', async () => {
  const gw = await startGateway({});
  const publisher = createPublisher({ gatewayUrl: gw.url, token: await mintToken({ publish: ['execution:*'] }) });
  try {
    const script = `
      import { connect } from '@sse-gateway/client';
      const stream = connect({ url: process.env.GATEWAY, channels: ['execution:pkg'], token: async () => process.env.TOKEN });
      stream.on('state', (state) => state === 'open' && console.log('open'));
      stream.on('execution.status', (event) => { console.log(JSON.stringify(event.data)); stream.close(); });
    `;
    const child = run(['--input-type=module', '-e', script], { ...process.env, GATEWAY: gw.url, TOKEN: await mintToken({ subscribe: ['execution:pkg'] }) });
    // Publish once the child's stream is open: the gateway's own count of connections.
    await waitFor(() => gw.gateway.hub.connections.size === 1, { message: 'the child to connect' });
    await publisher.publish({ channel: 'execution:pkg', type: 'execution.status', data: { executionId: 'pkg', status: 'succeeded' } });
    const { code, stdout, stderr } = await child;
    expect(stderr).toBe('');
    expect(code).toBe(0); // close() left nothing running: the process ended by itself
    expect(stdout.trim().split('\n')).toEqual(['open', '{"executionId":"pkg","status":"succeeded"}']);
  } finally {
    await publisher.close();
    await gw.close();
  }
});

test('client/src/bundled-events.ts is the copy of schemas/src/types.ts', async () => {
  const { code, stderr } = await run(['--import', 'tsx', 'client/scripts/sync-event-types.ts', '--check']);
  expect(stderr).toBe('');
  expect(code).toBe(0);
});

test('the check fails when the schemas\' types changed without syncing the copy', async () => {
  const copy = mkdtempSync(join(tmpdir(), 'sse-client-types-'));
  try {
    for (const part of ['client/package.json', 'client/scripts', 'client/src', 'schemas/src']) cpSync(join(ROOT, part), join(copy, part), { recursive: true });
    const types = join(copy, 'schemas', 'src', 'types.ts');
    writeFileSync(types, readFileSync(types, 'utf8').replace('  message?: string;\n}', '  message?: string;\n  attempt?: number;\n}'));
    const { code, stderr } = await run(['--import', 'tsx', join(copy, 'client', 'scripts', 'sync-event-types.ts'), '--check'], { ...process.env, NODE_PATH: join(ROOT, 'node_modules') });
    expect(stderr).toContain('is stale');
    expect(code).toBe(1);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});
