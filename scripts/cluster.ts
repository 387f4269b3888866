// `npm run cluster`: the docker-compose.yml topology without Docker. Redis on a free port, three
// gateways (gateway/dist/main.js), the demo (its crew publishes into Redis; it serves the demo
// page), nginx in front with deploy/nginx/nginx.conf. Ctrl-C stops everything it started.
//
//   npm run cluster                      # load balancer on :8080, demo page at /demo/
//   npm run cluster -- --port 9000 --gateways 5 --no-demo
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { startCluster, type LocalCluster } from '../deploy/local/cluster';

const USAGE = 'usage: npm run cluster -- [--port 8080] [--gateways 3] [--no-demo] [--quiet]';

function options(): { port: number; gateways: number; demo: boolean; quiet: boolean } {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      gateways: { type: 'string', default: '3' },
      'no-demo': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const port = Number(values.port);
  const gateways = Number(values.gateways);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || !Number.isInteger(gateways) || gateways < 1) {
    console.error(USAGE);
    process.exit(2);
  }
  return { port, gateways, demo: !values['no-demo'], quiet: values.quiet };
}

function printSummary(cluster: LocalCluster): void {
  const lines = [
    '',
    `sse-gateway cluster: ${cluster.gateways.length} gateways behind nginx, Redis at ${cluster.redisUrl}`,
    `  load balancer   ${cluster.url}`,
    ...cluster.gateways.map((g) => `  ${g.name.padEnd(15)} ${g.url}   pid ${g.process.pid}`),
    cluster.demo === undefined
      ? '  demo            not started (no demo/run.ts in this checkout, or --no-demo)'
      : `  demo            pid ${cluster.demo.process.pid}: open ${cluster.url.replace('127.0.0.1', 'localhost')}/demo/`,
    '',
    `The JWT secret of this run is in ${cluster.secretFile}. A token:`,
    `  JWT_SECRET="$(cat ${cluster.secretFile})" npm run token -- --sub you --subscribe 'execution:*' --publish 'execution:*'`,
    'Then:',
    `  curl -N -H "Authorization: Bearer $TOKEN" '${cluster.url}/v1/stream?channel=execution:1'`,
    `Kill a gateway (kill <pid>) and watch the stream resume through another one. Ctrl-C stops everything.`,
    '',
  ];
  console.log(lines.join('\n'));
}

/** Fails early, with the option to change, when something already listens on the LB's port. */
function checkPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', () => reject(new Error(`port ${port} is in use: choose another with --port`)));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

async function main(): Promise<void> {
  const { port, gateways, demo, quiet } = options();
  await checkPortFree(port);
  const cluster = await startCluster({
    lbPort: port,
    gateways,
    demo,
    onLine: quiet ? undefined : (name, line) => console.log(`[${name}] ${line}`),
  });
  printSummary(cluster);
  for (const child of [...cluster.gateways, cluster.demo].flatMap((g) => (g === undefined ? [] : [g.process]))) {
    void child.exited.then(({ code, signal }) => console.log(`[cluster] ${child.name} exited (${signal ?? `code ${code}`})`));
  }
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      console.log(`[cluster] ${signal} again: killing everything at once`);
      for (const child of [...cluster.gateways.map((g) => g.process), cluster.lb, cluster.redis, cluster.demo?.process]) {
        if (child?.isRunning()) process.kill(child.pid, 'SIGKILL');
      }
      process.exit(1);
    }
    stopping = true;
    console.log(`[cluster] ${signal}: stopping the load balancer, the demo, the gateways (drain) and Redis`);
    cluster.stop().then(() => process.exit(0), (error: unknown) => {
      console.error(`[cluster] stop failed: ${(error as Error).message}`);
      process.exit(1);
    });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));
}

main().catch((error: unknown) => {
  console.error(`[cluster] ${(error as Error).message}`);
  process.exit(1);
});
