// The probe paths of every deployment file, asked of a real gateway process: the Dockerfile's
// HEALTHCHECK, the compose healthchecks and the Kubernetes probes must all answer 200 on a
// running, ready gateway, and the metric the HPA note names must exist.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startProcess, type ManagedProcess } from '../../deploy/local/process';
import { freePort } from '../helpers/free-port';
import { waitFor } from '../helpers/wait-for';
import { readCompose } from './support/compose-checks';
import { parseDockerfile } from './support/dockerfile-checks';
import { kustomizeBuild, podContainers } from './support/kustomize';
import { TEST_JWT_SECRET } from './support/gateway-facts';

const ROOT = resolve(__dirname, '..', '..');

/** Every HTTP path a deployment file probes, with where it is used. */
function probedPaths(): Map<string, string[]> {
  const paths = new Map<string, string[]>();
  const add = (path: string | undefined, where: string): void => {
    if (path !== undefined) paths.set(path, [...(paths.get(path) ?? []), where]);
  };
  const { stages } = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const healthcheck = stages.at(-1)?.instructions.find((i) => i.keyword === 'HEALTHCHECK')?.args ?? '';
  add(/"(\/[^"]*)"\]\s*$/.exec(healthcheck)?.[1], 'Dockerfile HEALTHCHECK');
  const compose = readCompose(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'));
  for (const [name, service] of Object.entries(compose.services)) {
    const test = Array.isArray(service.healthcheck?.test) ? service.healthcheck.test : [];
    if (test.some((arg) => arg.endsWith('healthcheck.js'))) add(test.find((arg) => arg.startsWith('/')), `compose ${name}`);
  }
  for (const overlay of readdirSync(join(ROOT, 'k8s', 'overlays'))) {
    for (const { object } of kustomizeBuild(join(ROOT, 'k8s', 'overlays', overlay))) {
      for (const container of podContainers(object)) {
        for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
          add((container[probe] as { httpGet?: { path?: string } } | undefined)?.httpGet?.path, `k8s ${overlay} ${container.name} ${probe}`);
        }
      }
    }
  }
  return paths;
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.text() };
}

describe('the probe paths of the deployment files, on a real gateway', () => {
  let gateway: ManagedProcess | undefined;
  let url = '';

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // From the sources (tsx), so the test needs no build; production mode, in-memory bus.
    gateway = startProcess('gateway', process.execPath, ['--import', 'tsx', join(ROOT, 'gateway', 'src', 'main.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'warn' },
    });
    await waitFor(async () => (await get(`${url}/readyz`)).status === 200, {
      timeoutMs: 20000,
      message: `the gateway at ${url} to be ready (${gateway.recentOutput()})`,
    });
  }, 30000);

  afterAll(async () => {
    await gateway?.stop();
  });

  it('finds the probes it is meant to check', () => {
    const paths = probedPaths();
    expect([...paths.keys()].sort()).toEqual(['/healthz', '/readyz']);
    expect(paths.get('/readyz')).toEqual(expect.arrayContaining(['compose gateway-1', 'k8s production gateway readinessProbe']));
    expect(paths.get('/healthz')).toEqual(expect.arrayContaining(['Dockerfile HEALTHCHECK', 'k8s production gateway livenessProbe']));
  });

  it('every probed path answers 200', async () => {
    for (const [path, users] of probedPaths()) {
      expect({ path, users, status: (await get(`${url}${path}`)).status }).toEqual({ path, users, status: 200 });
    }
  });

  it('a path the gateway does not serve is not 200 (so the check above can fail)', async () => {
    expect((await get(`${url}/health`)).status).toBe(404);
  });

  it('serves the metrics that docs/operations.md and the HPA note rely on', async () => {
    const { status, body } = await get(`${url}/metrics`);
    expect(status).toBe(200);
    for (const metric of ['sse_connections', 'sse_bus_connected', 'sse_events_delivered_total', 'sse_slow_client_disconnects_total', 'sse_delivery_latency_seconds_bucket']) {
      expect(body).toMatch(new RegExp(`^${metric}(\\{| )`, 'm'));
    }
  });
});
