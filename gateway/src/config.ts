// Every setting of the gateway, read and validated once at start-up. Nothing else reads process.env.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  DEFAULT_HISTORY_MAX_LEN,
  DEFAULT_HISTORY_TTL_S,
  DEFAULT_IDEMPOTENCY_TTL_S,
  DEFAULT_KEY_PREFIX,
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_STATE_TTL_S,
  isKeyPrefix,
} from '@sse-gateway/publisher/protocol';
import { algorithmsForPublicKey } from './auth/key-algorithms';
import { loadDevSecret } from './dev-secret';
import { memoryLimitBytes } from './memory-limit';

export type RedisSetting =
  | { mode: 'memory' }
  | { mode: 'standalone'; url: string }
  | { mode: 'cluster'; nodes: { host: string; port: number }[] };

type JwtKeySetting =
  /** HS256. `devSecretFile` is set when it is the user's development secret (and where it is kept). */
  | { kind: 'secret'; secret: Uint8Array; devSecretFile?: string }
  /** RS256 / ES256 / EdDSA, from a PEM SPKI public key. */
  | { kind: 'public-key'; pem: string }
  | { kind: 'jwks'; url: URL };

export interface Config {
  port: number;
  host: string;
  redis: RedisSetting;
  /** Prefix of every Redis key and pub/sub channel (`REDIS_KEY_PREFIX`, default `sse`). */
  keyPrefix: string;
  jwt: JwtKeySetting;
  jwtIssuer: string | undefined;
  jwtAudience: string | undefined;
  /** undefined: no CORS headers. `['*']`: any origin, without credentials. */
  corsOrigins: string[] | undefined;
  heartbeatMs: number;
  retryMs: number;
  historyMaxLen: number;
  historyTtlS: number;
  maxConnections: number;
  maxConnectionsPerSubject: number;
  maxChannelsPerConnection: number;
  clientBufferBytes: number;
  publishMaxBytes: number;
  /** Seconds an HTTP publish's idempotency key is remembered per channel (`IDEMPOTENCY_TTL_S`). */
  idempotencyTtlS: number;
  /** Seconds a channel's retained state lives after its last retained event (`STATE_TTL_S`). */
  stateTtlS: number;
  /** Longest time for a request's headers, and for a non-stream request's whole body (`REQUEST_TIMEOUT_MS`). */
  requestTimeoutMs: number;
  shutdownGraceMs: number;
  /** History bytes held for replays at once, gateway-wide (`REPLAY_BUDGET_BYTES`); see REPLAY_BUDGET_SHARE. */
  replayBudgetBytes: number;
  schemasDir: string | undefined;
  logLevel: string;
  /**
   * libuv's thread pool (`UV_THREADPOOL_SIZE`): jose's signature checks of public-key and JWKS
   * tokens run there (WebCrypto is asynchronous), one job per connect; HS256 is checked inline.
   * See THREAD_POOL_DEFAULT.
   */
  threadPoolSize: number;
}

/** A bad configuration value: start-up stops with `message` (one line) and exit code 1. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    /** The environment variable at fault. */
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

/** Every environment variable the gateway reads: loadConfig sees these and no other. */
export const CONFIG_VARIABLES = [
  'NODE_ENV', 'PORT', 'HOST', 'REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_KEY_PREFIX',
  'JWT_SECRET', 'JWT_PUBLIC_KEY', 'JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE', 'CORS_ORIGINS',
  'HEARTBEAT_MS', 'RETRY_MS', 'HISTORY_MAXLEN', 'HISTORY_TTL_S', 'MAX_CONNECTIONS',
  'MAX_CONNECTIONS_PER_SUBJECT', 'MAX_CHANNELS_PER_CONNECTION', 'CLIENT_BUFFER_BYTES',
  'PUBLISH_MAX_BYTES', 'IDEMPOTENCY_TTL_S', 'STATE_TTL_S', 'REQUEST_TIMEOUT_MS', 'SHUTDOWN_GRACE_MS',
  'SCHEMAS_DIR', 'LOG_LEVEL', 'UV_THREADPOOL_SIZE', 'REPLAY_BUDGET_BYTES',
] as const;

type ConfigVariable = (typeof CONFIG_VARIABLES)[number];

/** The environment as the gateway reads it: a variable missing from CONFIG_VARIABLES cannot be read. */
type ConfigEnv = Readonly<Partial<Record<ConfigVariable, string>>>;

function configEnv(env: NodeJS.ProcessEnv): ConfigEnv {
  return Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, env[name]]));
}

interface LoadConfigOptions {
  /** Where the development secret is kept when no JWT key is set; default `defaultDevSecretDir()`. */
  devSecretDir?: string;
  /** The memory the process is given, in bytes; default `memoryLimitBytes()`. */
  memoryLimitBytes?: number;
}

/**
 * The default replay budget is this share of the memory the process is given (the container's
 * limit, else the machine's), between REPLAY_BUDGET_MIN and REPLAY_BUDGET_MAX: 64 MiB in a 1 GiB
 * pod. Replay pages are copied a few times on their way to the socket (reply, string, frame), so
 * the memory they really take is a small multiple of the budget.
 */
const REPLAY_BUDGET_SHARE = 1 / 16;
const REPLAY_BUDGET_MIN = 4 * 1024 * 1024;
const REPLAY_BUDGET_MAX = 64 * 1024 * 1024;

function defaultReplayBudget(memoryBytes: number): number {
  return Math.round(Math.min(REPLAY_BUDGET_MAX, Math.max(REPLAY_BUDGET_MIN, memoryBytes * REPLAY_BUDGET_SHARE)));
}

/** winston's npm levels. */
const LOG_LEVELS: readonly string[] = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

/** HS256 needs a key of at least the hash size (RFC 7518 §3.2). */
const MIN_SECRET_BYTES = 32;

/**
 * libuv's default is 4 threads. Each connect with a public-key token hands one RSA/EC check to the pool
 * (HMAC did too before it was checked inline, and the figures below are jose's HMAC),
 * and threads woken per job cost more than the jobs: with 400 connects in flight on 2 cores, jose
 * verified 16k tokens/s with 4 threads, 22k with 2 and 50k with 1 (more than one event loop can
 * accept). The pool's other work is start-up file reads and DNS lookups of the Redis and JWKS
 * hosts; a lookup that hangs holds the thread, but only while Redis or the JWKS is unreachable,
 * when new streams wait or fail anyway. See docs/decisions.md.
 */
const THREAD_POOL_DEFAULT = 1;

/** Default of `REQUEST_TIMEOUT_MS`: a slow client on a slow network sends a 64 KB body well within it. */
const DEFAULT_REQUEST_TIMEOUT_MS = 10000;

/** Longest delay setTimeout honours; a larger one silently fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Reads and validates every setting from `env` (and nothing else). Throws ConfigError naming the
 * first bad variable. Without a JWT key outside production it uses (or creates) the development secret.
 */
export function loadConfig(processEnv: NodeJS.ProcessEnv, options: LoadConfigOptions = {}): Config {
  const env = configEnv(processEnv);
  const production = env.NODE_ENV === 'production';
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: text(env, 'HOST') ?? '0.0.0.0',
    redis: readRedis(env),
    keyPrefix: readKeyPrefix(env),
    jwt: readJwtKey(env) ?? developmentKey(production, options.devSecretDir),
    jwtIssuer: text(env, 'JWT_ISSUER'),
    jwtAudience: text(env, 'JWT_AUDIENCE'),
    corsOrigins: readCorsOrigins(env),
    heartbeatMs: integer(env, 'HEARTBEAT_MS', 15000, 1, MAX_TIMER_MS),
    retryMs: integer(env, 'RETRY_MS', 2000, 0, MAX_TIMER_MS),
    historyMaxLen: integer(env, 'HISTORY_MAXLEN', DEFAULT_HISTORY_MAX_LEN, 1),
    historyTtlS: integer(env, 'HISTORY_TTL_S', DEFAULT_HISTORY_TTL_S, 1),
    maxConnections: integer(env, 'MAX_CONNECTIONS', 100000, 1),
    maxConnectionsPerSubject: integer(env, 'MAX_CONNECTIONS_PER_SUBJECT', 100, 1),
    maxChannelsPerConnection: integer(env, 'MAX_CHANNELS_PER_CONNECTION', 32, 1),
    clientBufferBytes: integer(env, 'CLIENT_BUFFER_BYTES', 1048576, 1),
    publishMaxBytes: integer(env, 'PUBLISH_MAX_BYTES', DEFAULT_MAX_EVENT_BYTES, 1),
    idempotencyTtlS: integer(env, 'IDEMPOTENCY_TTL_S', DEFAULT_IDEMPOTENCY_TTL_S, 1),
    stateTtlS: integer(env, 'STATE_TTL_S', DEFAULT_STATE_TTL_S, 1),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', DEFAULT_REQUEST_TIMEOUT_MS, 1, MAX_TIMER_MS),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10000, 0, MAX_TIMER_MS),
    replayBudgetBytes: integer(env, 'REPLAY_BUDGET_BYTES', defaultReplayBudget(options.memoryLimitBytes ?? memoryLimitBytes()), 65536),
    schemasDir: readSchemasDir(env),
    logLevel: readLogLevel(env),
    threadPoolSize: integer(env, 'UV_THREADPOOL_SIZE', THREAD_POOL_DEFAULT, 1, 1024),
  };
}

/** The variable's value, or undefined when unset or blank (`REDIS_URL=` in a compose file means unset). */
export function text<Name extends string>(env: Readonly<Partial<Record<Name, string>>>, name: NoInfer<Name>): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: ConfigEnv, name: ConfigVariable, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = text(env, name);
  if (value === undefined) return fallback;
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `between ${min} and ${max}`;
    throw new ConfigError(name, `${name} must be an integer ${range}, got ${JSON.stringify(value.slice(0, 40))}`);
  }
  return parsed;
}

function readRedis(env: ConfigEnv): RedisSetting {
  const url = text(env, 'REDIS_URL');
  const nodes = text(env, 'REDIS_CLUSTER_NODES');
  if (url !== undefined && nodes !== undefined) {
    throw new ConfigError('REDIS_CLUSTER_NODES', 'REDIS_CLUSTER_NODES and REDIS_URL are both set: set only one of them');
  }
  if (nodes !== undefined) return { mode: 'cluster', nodes: parseClusterNodes(nodes) };
  if (url !== undefined) return { mode: 'standalone', url: parseRedisUrl(url) };
  return { mode: 'memory' };
}

// The URL may hold a password: messages about it never repeat it.
function parseRedisUrl(value: string): string {
  const fail = (why: string): never => {
    throw new ConfigError('REDIS_URL', `REDIS_URL ${why} (expected redis://[user:password@]host[:port][/db] or rediss://…)`);
  };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail('is not a URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') fail(`has scheme ${url.protocol} instead of redis: or rediss:`);
  if (url.hostname === '') fail('has no host');
  if (!/^(\/\d*)?$/.test(url.pathname)) fail('has a path that is not a database number');
  return value;
}

function parseClusterNodes(value: string): { host: string; port: number }[] {
  return value.split(',').map((entry) => {
    const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/.exec(entry.trim());
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) {
      throw new ConfigError('REDIS_CLUSTER_NODES', `REDIS_CLUSTER_NODES must be host:port,host:port…, got ${JSON.stringify(entry.trim().slice(0, 80))}`);
    }
    // ioredis wants an IPv6 host without its brackets.
    return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port };
  });
}

function readKeyPrefix(env: ConfigEnv): string {
  const value = text(env, 'REDIS_KEY_PREFIX') ?? DEFAULT_KEY_PREFIX;
  if (!isKeyPrefix(value)) {
    throw new ConfigError('REDIS_KEY_PREFIX', `REDIS_KEY_PREFIX must be 1 to 64 characters of A-Z a-z 0-9 : . _ -, got ${JSON.stringify(value.slice(0, 80))}`);
  }
  return value;
}

/**
 * The configured JWT key, or undefined when none of JWT_SECRET, JWT_PUBLIC_KEY, JWT_JWKS_URL is
 * set. Exported for `npm run token` and the demo. Messages never contain a key.
 */
export function readJwtKey(env: ConfigEnv): JwtKeySetting | undefined {
  const set = JWT_KEY_VARIABLES.filter((name) => text(env, name) !== undefined);
  if (set.length > 1) throw new ConfigError(set[0]!, `${set.join(' and ')} are set together: configure exactly one JWT key`);
  const secret = env.JWT_SECRET;
  if (set[0] === 'JWT_SECRET' && secret !== undefined) return { kind: 'secret', secret: parseSecret(secret) };
  const pem = text(env, 'JWT_PUBLIC_KEY');
  if (pem !== undefined) return { kind: 'public-key', pem: parsePublicKey(pem) };
  const jwks = text(env, 'JWT_JWKS_URL');
  if (jwks !== undefined) return { kind: 'jwks', url: parseJwksUrl(jwks) };
  return undefined;
}

const JWT_KEY_VARIABLES = ['JWT_SECRET', 'JWT_PUBLIC_KEY', 'JWT_JWKS_URL'] as const;

// Not trimmed: a secret is its exact bytes.
function parseSecret(value: string): Uint8Array {
  const bytes = new TextEncoder().encode(value);
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new ConfigError('JWT_SECRET', `JWT_SECRET is ${bytes.length} bytes long; HS256 needs at least ${MIN_SECRET_BYTES} (e.g. openssl rand -base64 32)`);
  }
  return bytes;
}

/** A PEM SPKI (or PKCS#1 RSA) public key of a supported type, with `\n` escapes turned into newlines. */
function parsePublicKey(value: string): string {
  // Environment files often carry a PEM on one line with literal \n.
  const pem = (value.includes('\n') ? value : value.replace(/\\n/g, '\n')).trim();
  const fail = (why: string): never => {
    throw new ConfigError('JWT_PUBLIC_KEY', `JWT_PUBLIC_KEY ${why}`);
  };
  if (/PRIVATE KEY-----/.test(pem)) fail('holds a private key: give the gateway only the public key');
  if (!/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem)) fail('is not a PEM public key (-----BEGIN PUBLIC KEY-----)');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    return fail('is not a valid PEM public key');
  }
  const usable = algorithmsForPublicKey(key);
  if ('unsupported' in usable) fail(`is an unsupported ${usable.unsupported}; use RSA (RS256), EC P-256 (ES256) or Ed25519 (EdDSA)`);
  return pem;
}

function parseJwksUrl(value: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.hostname === '') {
    throw new ConfigError('JWT_JWKS_URL', 'JWT_JWKS_URL must be an http:// or https:// URL of a JWKS document');
  }
  return url;
}

function developmentKey(production: boolean, dir: string | undefined): JwtKeySetting {
  if (production) {
    throw new ConfigError('JWT_SECRET', 'no JWT key configured: with NODE_ENV=production set JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URL');
  }
  try {
    const { secret, file } = loadDevSecret({ dir });
    return { kind: 'secret', secret, devSecretFile: file };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ConfigError('JWT_SECRET', `JWT_SECRET is unset and the development secret cannot be used: ${why}`);
  }
}

function readCorsOrigins(env: ConfigEnv): string[] | undefined {
  const value = text(env, 'CORS_ORIGINS');
  if (value === undefined) return undefined;
  const origins = value.split(',').map((origin) => origin.trim()).filter((origin) => origin !== '');
  if (origins.includes('*')) {
    if (origins.length > 1) throw new ConfigError('CORS_ORIGINS', 'CORS_ORIGINS: * cannot be combined with explicit origins');
    return ['*'];
  }
  for (const origin of origins) {
    if (!isOrigin(origin)) {
      throw new ConfigError('CORS_ORIGINS', `CORS_ORIGINS: ${JSON.stringify(origin.slice(0, 100))} is not an origin (scheme://host[:port], no path)`);
    }
  }
  return origins;
}

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

function readSchemasDir(env: ConfigEnv): string | undefined {
  const value = text(env, 'SCHEMAS_DIR');
  if (value === undefined) return undefined;
  const dir = resolve(value);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new ConfigError('SCHEMAS_DIR', `SCHEMAS_DIR ${JSON.stringify(value)} is not a folder`);
  return dir;
}

function readLogLevel(env: ConfigEnv): string {
  const value = text(env, 'LOG_LEVEL')?.toLowerCase() ?? 'info';
  if (!LOG_LEVELS.includes(value)) {
    throw new ConfigError('LOG_LEVEL', `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(value.slice(0, 40))}`);
  }
  return value;
}
