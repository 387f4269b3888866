import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { createPublisher } from '@sse-gateway/publisher';
import { SignJWT } from 'jose';
const port = Number(process.argv[2]); const redisUrl = process.argv[3];
async function main() {
  const token = await new SignJWT({ sse: { subscribe: ['*'], publish: [] } }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setExpirationTime('1h').sign(new TextEncoder().encode('test-secret-0123456789abcdef0123456789abcdef'));
  const pub = createPublisher({ redisUrl, keyPrefix: 'storm' });
  const msg = 'm'.repeat(15000);
  for (let b = 0; b < 20; b++) await pub.publishMany(Array.from({ length: 50 }, (_, i) => ({ channel: 'execution:big', type: 'execution.log', data: { executionId: 'b', level: 'info', message: `${b}-${i} ${msg}` } })));
  const r = new Redis(redisUrl);
  const t0 = Date.now();
  const crowd = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/stream-readers.ts', String(port), '100', '/v1/stream?channel=execution:big', token, 'earliest', '1000'], { stdio: ['ignore', 'inherit', 'inherit'] });
  let over = false; crowd.once('exit', () => (over = true));
  while (!over) {
    const a = Date.now(); await r.ping(); const pingMs = Date.now() - a;
    const b = Date.now(); await pub.publish({ channel: 'execution:w', type: 'execution.status', data: { executionId: 'w', status: 'running' } }).catch((e) => console.log(String(e))); const pubMs = Date.now() - b;
    console.log(`t=${Date.now() - t0} ping=${pingMs} publish=${pubMs}`);
    await new Promise((res) => setTimeout(res, 200));
  }
  console.log('done in', Date.now() - t0); r.disconnect(); await pub.close();
}
void main();
