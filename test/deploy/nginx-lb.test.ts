// The load balancer config of docker-compose.yml, run for real: nginx in front of three plain
// node:http SSE servers, checking what SSE needs from it (unbuffered streaming, round robin,
// skipping a draining or dead gateway). Needs nginx (.ci/run installs nginx-light).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from 'node:http';
import { findNginx, readComposeNginxConfig, renderNginxConfig, startNginx } from '../../deploy/local/nginx';
import type { ManagedProcess } from '../../deploy/local/process';
import { freePort } from '../helpers/free-port';
import { waitFor } from '../helpers/wait-for';
import { openStream, startFakeGateway, type FakeGateway, type StreamClient } from './support/fake-gateway';

interface Lb {
  url: string;
  upstreams: FakeGateway[];
  nginx: ManagedProcess;
  workDir: string;
}

let lb: Lb | undefined;
const clients: StreamClient[] = [];

async function startLb(mutate: (conf: string) => string = (conf) => conf): Promise<Lb> {
  if (findNginx() === undefined) throw new Error('nginx is required for this test: apt-get install -y nginx-light');
  const upstreams = await Promise.all(['g1', 'g2', 'g3', 'demo'].map(startFakeGateway));
  const workDir = mkdtempSync(join(tmpdir(), 'sse-lb-test-'));
  const listenPort = await freePort();
  const local = (u: FakeGateway): { host: string; port: number } => ({ host: '127.0.0.1', port: u.port });
  const conf = mutate(renderNginxConfig(readComposeNginxConfig(), {
    listenPort,
    upstreams: { sse_gateways: upstreams.slice(0, 3).map(local), demo: [local(upstreams[3]!)] },
    workDir,
  }));
  const nginx = startNginx(conf, workDir);
  const url = `http://127.0.0.1:${listenPort}`;
  await waitFor(() => status(`${url}/healthz`).then((code) => code === 200), { message: `nginx on ${url}\n${nginx.recentOutput()}` });
  return { url, upstreams, nginx, workDir };
}

function status(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    }).on('error', reject);
  });
}

async function stream(options: { gzip?: boolean } = {}): Promise<StreamClient> {
  const client = await openStream(`${lb!.url}/v1/stream?channel=c`, options);
  clients.push(client);
  return client;
}

/** Which upstream served each of `count` streams opened one after the other. */
async function servedBy(count: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const client = await stream();
    expect(client.status).toBe(200);
    names.push(await client.firstEvent);
  }
  return names;
}

afterEach(async () => {
  clients.splice(0).forEach((client) => client.close());
  if (lb === undefined) return;
  await lb.nginx.stop({ signal: 'SIGQUIT' });
  await Promise.all(lb.upstreams.map((u) => u.close()));
  rmSync(lb.workDir, { recursive: true, force: true });
  lb = undefined;
});

describe('the load balancer config (deploy/nginx/nginx.conf) in front of SSE servers', () => {
  it('passes an event through before the upstream ends its response', async () => {
    lb = await startLb();
    // Like a browser, the client accepts gzip: a compressing proxy must not hold events either.
    const client = await stream({ gzip: true });
    expect(await client.firstEvent).toMatch(/^g[123]$/);
    // The event arrived while its upstream still holds the response open: nothing was buffered.
    expect(lb.upstreams.reduce((open, u) => open + u.openStreams(), 0)).toBe(1);
  });

  it('holds the event back when buffering and compression are switched on (so the test above can fail)', async () => {
    // nginx 1.22 forwards small writes even with proxy_buffering on; a filter that waits for a
    // full buffer (gzip) then holds them. With proxy_buffering off, gzip flushes every write.
    lb = await startLb((conf) => conf
      .replace('proxy_buffering off;', 'proxy_buffering on;')
      .replace('gzip off;', 'gzip on; gzip_types text/event-stream;'));
    const accepted = Promise.race(lb.upstreams.map((u) => u.nextStream()));
    let arrived = false;
    const client = stream({ gzip: true }).then((c) => c.firstEvent.then((name) => {
      arrived = true;
      return name;
    }));
    await accepted;
    // The upstream writes its event 50 ms after accepting; give nginx ample time to forward it (a negative can
    // only be observed over time), then end the upstream response: only then does it come out.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(arrived).toBe(false);
    lb.upstreams.forEach((u) => u.endStreams());
    expect(await client).toMatch(/^g[123]$/);
  });

  it('spreads streams round robin over the gateways', async () => {
    lb = await startLb();
    const names = await servedBy(6);
    const counts = Object.fromEntries(['g1', 'g2', 'g3'].map((name) => [name, names.filter((n) => n === name).length]));
    expect(counts).toEqual({ g1: 2, g2: 2, g3: 2 });
  });

  it('sends /demo to the demo service, and streams never there', async () => {
    lb = await startLb();
    const page = await fetch(`${lb.url}/demo/`);
    expect(await page.text()).toBe('ok');
    expect(lb.upstreams[3]!.openStreams()).toBe(0);
    const names = await servedBy(3);
    expect(names.sort()).toEqual(['g1', 'g2', 'g3']);
  });

  it('sends new streams past a draining gateway (503) and a dead one', async () => {
    lb = await startLb();
    lb.upstreams[0]!.setDraining(true);
    await lb.upstreams[1]!.close();
    const names = await servedBy(6);
    expect(new Set(names)).toEqual(new Set(['g3']));
  });
});
