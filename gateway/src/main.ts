// The process: config → gateway → listen; SIGTERM/SIGINT → drain → exit 0.
import { ConfigError, loadConfig, type Config } from './config';
import { createGateway } from './gateway';
import { createLogger, type Logger } from './logger';

function startupLines(config: Config, logger: Logger): void {
  if (config.redis.mode === 'memory') {
    logger.info('single instance on the embedded in-memory bus (set REDIS_URL to run several gateways on Redis)', { bus: 'memory' });
  } else {
    logger.info(config.redis.mode === 'cluster' ? 'using Redis Cluster' : 'using Redis', { bus: config.redis.mode });
  }
  if (config.jwt.kind === 'secret' && config.jwt.devSecretFile !== undefined) {
    const file = config.jwt.devSecretFile;
    // The path in the message itself: it is what a newcomer looks for when a token is refused.
    logger.warn(`no JWT key configured: using the development HS256 secret in ${file}, shared by every development gateway and npm run token of this user (NODE_ENV=production refuses to start like this)`, {
      secretFile: file,
    });
    logger.info("mint a development token with: npm run token -- --sub you --subscribe 'execution:*' --publish 'execution:*'");
  }
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`sse-gateway: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // libuv reads this when its pool first starts, which nothing has made it do yet.
  process.env.UV_THREADPOOL_SIZE = String(config.threadPoolSize);
  const logger = createLogger(config.logLevel);
  startupLines(config, logger);
  const gateway = createGateway(config, { logger });
  const address = await gateway.listen();
  logger.info('listening', { host: address.address, port: address.port });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal, graceMs: config.shutdownGraceMs });
    const deadline = setTimeout(() => {
      logger.warn('drain took longer than SHUTDOWN_GRACE_MS; exiting');
      process.exit(0);
    }, config.shutdownGraceMs);
    deadline.unref();
    gateway.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', { error: (error as Error).message });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (reason) => logger.error('unhandled rejection', { error: String(reason) }));
}

main().catch((error: unknown) => {
  process.stderr.write(`sse-gateway: failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
