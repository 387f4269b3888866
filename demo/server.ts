// `npm run demo` in one function: a gateway (in-memory bus unless REDIS_URL is set), the demo page
// and its token endpoint on the same port, and the simulated crew publishing through the SDK:
// over HTTP to this gateway on the in-memory bus, straight into Redis when REDIS_URL is set.
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { SignJWT } from 'jose';
import { loadConfig, readJwtKey, text, type Config } from '../gateway/src/config';
import { createGateway } from '../gateway/src/gateway';
import { createLogger } from '../gateway/src/logger';
import { DEFAULT_DEMO_CHANNEL, runCrew } from './crew';
import { demoSite } from './site';

interface DemoOptions {
  /** Human-readable lines (stdout by default). */
  say?: (line: string) => void;
  /** Pause between two crew events. @default 600 */
  paceMs?: number;
  /** Pause between two executions. @default 6000 */
  restMs?: number;
  /** Where the development secret is kept when no JWT key is set. @default defaultDevSecretDir() */
  devSecretDir?: string;
}

interface Demo {
  /** e.g. http://localhost:8080/demo/ */
  readonly pageUrl: string;
  stop(): Promise<void>;
}

/** Starts the demo from `env` as the gateway would read it (PORT, REDIS_URL, JWT_SECRET…, DEMO_CHANNEL). */
export async function startDemo(env: NodeJS.ProcessEnv, options: DemoOptions = {}): Promise<Demo> {
  const say = options.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  const { config, secret } = demoConfig(env, options.devSecretDir);
  const channel = text(env, 'DEMO_CHANNEL') ?? DEFAULT_DEMO_CHANNEL;
  const logger = createLogger(config.logLevel);
  const gateway = createGateway(config, {
    logger,
    routes: (router) => demoSite(router, { channel, secret, issuer: config.jwtIssuer, audience: config.jwtAudience }),
  });
  const address = await gateway.listen();
  const local = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const gatewayUrl = `http://${local.includes(':') ? `[${local}]` : local}:${address.port}`;
  const pageUrl = `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : local}:${address.port}/demo/`;

  const stopping = new AbortController();
  const redisUrl = config.redis.mode === 'standalone' ? config.redis.url : undefined;
  const redisPublisher = redisUrl === undefined ? undefined : createPublisher({ redisUrl, keyPrefix: config.keyPrefix, historyMaxLen: config.historyMaxLen, historyTtlS: config.historyTtlS });
  // Over HTTP, a new publisher per execution, each with a fresh token.
  const publisher = redisPublisher ?? (async (): Promise<Publisher> => createPublisher({ gatewayUrl, token: await publishToken(secret, channel, config) }));
  say(`sse-gateway demo: ${gateway.bus.description}; the crew publishes ${redisUrl !== undefined ? 'into Redis with the SDK' : 'over HTTP (POST /v1/publish) with the SDK'} on ${channel}`);
  if (config.jwt.kind === 'secret' && config.jwt.devSecretFile !== undefined) {
    say(`sse-gateway demo: signing tokens with the development secret in ${config.jwt.devSecretFile}; npm run token signs with it too`);
  }
  say(`sse-gateway demo: open ${pageUrl}`);
  const crew = runCrew({ channel, publisher, paceMs: options.paceMs, restMs: options.restMs, signal: stopping.signal, say });

  return {
    pageUrl,
    async stop() {
      stopping.abort();
      await crew;
      await redisPublisher?.close();
      await gateway.shutdown();
    },
  };
}

/**
 * The gateway's config. The demo signs its own tokens, so it needs an HS256 secret: JWT_SECRET, or
 * else the user's development secret, as `npm start` uses (so `npm run token` works against both).
 */
function demoConfig(env: NodeJS.ProcessEnv, devSecretDir: string | undefined): { config: Config; secret: Uint8Array } {
  const configured = readJwtKey(env);
  if (configured !== undefined && configured.kind !== 'secret') {
    throw new Error('the demo signs its own tokens: set JWT_SECRET, or leave JWT_PUBLIC_KEY / JWT_JWKS_URL unset');
  }
  const config = loadConfig({ ...env, LOG_LEVEL: text(env, 'LOG_LEVEL') ?? 'warn' }, { devSecretDir });
  if (config.jwt.kind !== 'secret') throw new Error('unreachable: the demo always has an HS256 secret');
  return { config, secret: config.jwt.secret };
}

/** The crew's own token: publish on the demo channel only, for one execution's worth of time. */
function publishToken(secret: Uint8Array, channel: string, config: Config): Promise<string> {
  let jwt = new SignJWT({ sse: { subscribe: [], publish: [channel] } })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('demo-crew')
    .setIssuedAt()
    .setExpirationTime('1h');
  if (config.jwtIssuer !== undefined) jwt = jwt.setIssuer(config.jwtIssuer);
  if (config.jwtAudience !== undefined) jwt = jwt.setAudience(config.jwtAudience);
  return jwt.sign(secret);
}
