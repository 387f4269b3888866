// A publish still arriving when the gateway starts draining (SIGTERM) is answered, not cut (found
// by the soak: nginx answers 502 for it and does not retry a POST); its answer closes the
// connection, and the drain ends once it is answered.
import { connect } from 'node:net';
import { startGateway } from '../helpers/gateway';
import { testRedisUrl, uniquePrefix } from '../helpers/redis';
import { mintToken } from '../helpers/tokens';

test('a publish whose body is still arriving when the gateway starts draining gets its answer', async () => {
  const gw = await startGateway({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: uniquePrefix('drainpub') });
  const token = await mintToken({ publish: ['execution:*'] });
  const body = JSON.stringify({ channel: 'execution:drain', type: 'execution.status', data: { executionId: 'd', status: 'running' } });
  const socket = connect(Number(new URL(gw.url).port), '127.0.0.1');
  let answer = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (answer += chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise((resolve) => socket.once('connect', resolve));
  // The route has the request (it waits for the rest of the body) when the drain starts.
  const arrived = new Promise((resolve) => gw.gateway.server.once('request', resolve));
  socket.write(`POST /v1/publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
  await arrived;
  const drained = gw.close();
  socket.write(body.slice(10));
  await closed;
  await drained;
  expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 202 Accepted');
  expect(answer.toLowerCase()).toContain('connection: close');
});
