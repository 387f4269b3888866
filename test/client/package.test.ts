// The package as users get it: @sse-gateway/client imported by plain Node (ESM, from dist/, through
// its package.json exports) streams from a real gateway; its bundled event types are those of the
// schemas, written by the build. (Its compile-time types are checked by types-check.ts.)
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
    await waitFor(() => gw.gateway.hub.streams.size === 1, { message: 'the child to connect' });
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

test('the build writes the client\'s event types from the schemas\' generated ones, and git does not hold that copy', async () => {
  const git = (...args: string[]): Promise<{ code: number; stdout: string }> =>
    new Promise((resolve) => execFile('git', args, { cwd: ROOT }, (error, stdout) => resolve({ code: error === null ? 0 : 1, stdout })));
  expect((await git('ls-files', 'client/src/bundled-events.ts')).stdout).toBe('');
  expect((await git('check-ignore', '-q', 'client/src/bundled-events.ts')).code).toBe(0);
  // Built by `npm test`'s type-check step (npm run build) from the sources as they are now.
  const body = (text: string): string => text.slice(text.indexOf('\n') + 1);
  const copy = readFileSync(join(ROOT, 'client', 'src', 'bundled-events.ts'), 'utf8');
  expect(copy.split('\n')[0]).toContain('Copied from schemas/src/types.ts');
  expect(body(copy)).toBe(body(readFileSync(join(ROOT, 'schemas', 'src', 'types.ts'), 'utf8')));
  // What users of the package get: the declarations of dist/, with the same interfaces.
  expect(readFileSync(join(ROOT, 'client', 'dist', 'bundled-events.d.ts'), 'utf8')).toContain('export interface ExecutionStatus {');
});
