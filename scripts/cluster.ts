// `npm run cluster`: the docker-compose.yml topology without Docker. Redis on a free port, three
// gateways (gateway/dist/main.js), nginx in front with deploy/nginx/nginx.conf, and the demo
// worker when there is one. Ctrl-C stops everything it started.
//
//   npm run cluster                      # load balancer on :8080
//   npm run cluster -- --port 9000 --gateways 5 --no-worker
import { parseArgs } from 'node:util';
import { startCluster, type LocalCluster } from '../deploy/local/cluster';

const USAGE = 'usage: npm run cluster -- [--port 8080] [--gateways 3] [--no-worker] [--quiet]';

function options(): { port: number; gateways: number; worker: boolean; quiet: boolean } {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      gateways: { type: 'string', default: '3' },
      'no-worker': { type: 'boolean', default: false },
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
  return { port, gateways, worker: !values['no-worker'], quiet: values.quiet };
}

function printSummary(cluster: LocalCluster): void {
  const lines = [
    '',
    `sse-gateway cluster: ${cluster.gateways.length} gateways behind nginx, Redis at ${cluster.redisUrl}`,
    `  load balancer   ${cluster.url}   (demo page: ${cluster.url}/demo/)`,
    ...cluster.gateways.map((g) => `  ${g.name.padEnd(15)} ${g.url}   pid ${g.process.pid}`),
    `  demo worker     ${cluster.worker === undefined ? 'not started (no demo/worker in this checkout, or --no-worker)' : `pid ${cluster.worker.pid}`}`,
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

async function main(): Promise<void> {
  const { port, gateways, worker, quiet } = options();
  const cluster = await startCluster({
    lbPort: port,
    gateways,
    worker,
    onLine: quiet ? undefined : (name, line) => console.log(`[${name}] ${line}`),
  });
  printSummary(cluster);
  for (const child of [...cluster.gateways.map((g) => g.process), cluster.worker].filter((c) => c !== undefined)) {
    void child.exited.then(({ code, signal }) => console.log(`[cluster] ${child.name} exited (${signal ?? `code ${code}`})`));
  }
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      console.log(`[cluster] ${signal} again: killing everything at once`);
      for (const child of [...cluster.gateways.map((g) => g.process), cluster.lb, cluster.redis, cluster.worker]) {
        if (child?.isRunning()) process.kill(child.pid, 'SIGKILL');
      }
      process.exit(1);
    }
    stopping = true;
    console.log(`[cluster] ${signal}: stopping the worker, the load balancer, the gateways (drain) and Redis`);
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
