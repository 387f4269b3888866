// The Dockerfile and .dockerignore, read (no Docker engine here), and the container healthcheck
// script run for real against HTTP servers.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkDockerfile } from './support/dockerfile-checks';
import { freePort } from '../helpers/free-port';

const ROOT = resolve(__dirname, '..', '..');
const DOCKERFILE = readFileSync(resolve(ROOT, 'Dockerfile'), 'utf8');
const DOCKERIGNORE = readFileSync(resolve(ROOT, '.dockerignore'), 'utf8');

describe('Dockerfile', () => {
  it('passes every check', () => {
    expect(checkDockerfile(DOCKERFILE, ROOT, DOCKERIGNORE)).toEqual([]);
  });

  it.each([
    ['ARG NODE_IMAGE=node:20.20.2-bookworm-slim', 'ARG NODE_IMAGE=node:20-slim', 'FROM ${NODE_IMAGE} must be an exact node:20.x.y-bookworm-slim tag'],
    ['USER node', 'USER root', 'the final stage must run as a non-root USER'],
    ['"/healthz"]', '"/health"]', 'HEALTHCHECK path /health is not one of /healthz, /readyz'],
    ['STOPSIGNAL SIGTERM', '', 'STOPSIGNAL SIGTERM is required'],
    ['ENTRYPOINT ["/usr/bin/tini", "--"]', '', 'ENTRYPOINT must run an init (tini) in exec form, so SIGTERM reaches Node'],
    ['CMD ["node", "gateway/dist/main.js"]', 'CMD node gateway/dist/main.js', 'CMD must be ["node", "gateway/dist/main.js"] (exec form; gateway/package.json main)'],
    ['--omit=dev --ignore-scripts', '--ignore-scripts', 'production dependencies must come from `npm ci --omit=dev --ignore-scripts`'],
    ['NODE_ENV=production', 'NODE_ENV=development', 'the final stage must set NODE_ENV=production'],
    ['COPY deploy/docker/healthcheck.js', 'COPY deploy/docker/health.js', 'COPY source deploy/docker/health.js does not exist'],
    ['COPY gateway/ gateway/', '', 'the build stage must COPY gateway/ (referenced by tsconfig.json, built by npm run build)'],
  ])('catches `%s` changed to `%s` (in the final stage)', (from, to, problem) => {
    const at = DOCKERFILE.lastIndexOf(from);
    expect(at).toBeGreaterThanOrEqual(0);
    const mutated = DOCKERFILE.slice(0, at) + to + DOCKERFILE.slice(at + from.length);
    expect(checkDockerfile(mutated, ROOT, DOCKERIGNORE)).toContain(problem);
  });

  it.each([
    ['USER node\nEXPOSE 8080\nHEALTHCHECK --interval=10s --timeout=3s --start-period=20s', 'EXPOSE 8080\nHEALTHCHECK --interval=10s --timeout=3s --start-period=20s', 'stage demo must run as a non-root USER'],
    ['"demo/run.ts"]', '"demo/start.ts"]', 'stage demo: CMD file demo/start.ts does not exist'],
  ])('catches `%s` changed to `%s` (in the demo stage)', (from, to, problem) => {
    expect(DOCKERFILE).toContain(from);
    expect(checkDockerfile(DOCKERFILE.replace(from, to), ROOT, DOCKERIGNORE)).toContain(problem);
  });

  it('catches a COPY source that .dockerignore excludes', () => {
    expect(checkDockerfile(DOCKERFILE, ROOT, `${DOCKERIGNORE}\ndeploy\n`)).toContain('COPY source deploy/docker/healthcheck.js is excluded by .dockerignore');
  });
});

describe('deploy/docker/healthcheck.js', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
  });

  async function serve(status: (path: string) => number): Promise<number> {
    const server = createServer((request, response) => response.writeHead(status(request.url ?? '')).end());
    servers.push(server);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    return (server.address() as AddressInfo).port;
  }

  function run(port: number, path: string): Promise<number | null> {
    const child = spawn(process.execPath, [resolve(ROOT, 'deploy', 'docker', 'healthcheck.js'), path], {
      env: { ...process.env, PORT: String(port) },
      stdio: 'ignore',
    });
    return new Promise((done) => child.on('exit', (code) => done(code)));
  }

  it('exits 0 on 200 from the given path on $PORT, 1 otherwise', async () => {
    const port = await serve((path) => (path === '/readyz' ? 200 : 503));
    expect(await run(port, '/readyz')).toBe(0);
    expect(await run(port, '/healthz')).toBe(1);
  });

  it('exits 1 when nothing listens', async () => {
    expect(await run(await freePort(), '/healthz')).toBe(1);
  });
});
