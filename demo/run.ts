// `npm run demo`: the gateway, the demo page and the simulated crew in one process, until Ctrl-C.
import { ConfigError } from '../gateway/src/config';
import { startDemo } from './server';

async function main(): Promise<void> {
  const demo = await startDemo(process.env);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('sse-gateway demo: stopping\n');
    demo.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
  process.stderr.write(`sse-gateway demo: ${message}\n`);
  process.exit(1);
});
