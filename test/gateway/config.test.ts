import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_VARIABLES, ConfigError, loadConfig, type Config } from '../../gateway/src/config';
import { defaultDevSecretDir } from '../../gateway/src/dev-secret';
import { memoryLimitBytes } from '../../gateway/src/memory-limit';

const SECRET = 'a-development-secret-of-32-bytes!';
let scratch: string;
let devSecretDir: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'config-test-'));
  devSecretDir = join(scratch, 'dev');
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** loadConfig with a key (so no dev secret is written) unless the test says otherwise. */
function load(env: NodeJS.ProcessEnv, withKey = true): Config {
  return loadConfig(withKey ? { JWT_SECRET: SECRET, ...env } : env, { devSecretDir });
}

/** The ConfigError thrown by loading `env`. */
function configError(env: NodeJS.ProcessEnv, withKey = true): ConfigError {
  try {
    load(env, withKey);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`no ConfigError for ${Object.keys(env).join(', ')}`);
}

function pem(type: 'rsa' | 'ec' | 'ed25519' | 'x25519', part: 'public' | 'private' = 'public', bits = 2048, curve = 'P-256'): string {
  const pair =
    type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: bits })
    : type === 'ec' ? generateKeyPairSync('ec', { namedCurve: curve })
    : type === 'ed25519' ? generateKeyPairSync('ed25519')
    : generateKeyPairSync('x25519');
  const key = part === 'public' ? pair.publicKey : pair.privateKey;
  return key.export({ type: part === 'public' ? 'spki' : 'pkcs8', format: 'pem' }).toString();
}

describe('defaults', () => {
  test('every setting has the default docs/configuration.md gives', () => {
    const config = load({});
    expect(config).toEqual({
      port: 8080,
      host: '0.0.0.0',
      redis: { mode: 'memory' },
      keyPrefix: 'sse',
      jwt: { kind: 'secret', secret: new TextEncoder().encode(SECRET) },
      jwtIssuer: undefined,
      jwtAudience: undefined,
      corsOrigins: undefined,
      heartbeatMs: 15000,
      retryMs: 2000,
      historyMaxLen: 1000,
      historyTtlS: 86400,
      maxConnections: 100000,
      maxConnectionsPerSubject: 100,
      maxChannelsPerConnection: 32,
      clientBufferBytes: 1048576,
      publishMaxBytes: 65536,
      idempotencyTtlS: 86400,
      stateTtlS: 604800,
      requestTimeoutMs: 10000,
      shutdownGraceMs: 10000,
      replayBudgetBytes: 64 * 1024 * 1024, // 1/16 of this machine's memory, capped at 64 MiB
      schemasDir: undefined,
      logLevel: 'info',
      threadPoolSize: 1,
    });
  });

  test('a blank value counts as unset', () => {
    expect(load({ PORT: '', REDIS_URL: '  ', LOG_LEVEL: '' })).toMatchObject({ port: 8080, redis: { mode: 'memory' }, logLevel: 'info' });
  });

  test('CONFIG_VARIABLES lists every variable of the Configuration table, REDIS_KEY_PREFIX, NODE_ENV and UV_THREADPOOL_SIZE', () => {
    const spec = [
      'PORT', 'HOST', 'REDIS_URL', 'REDIS_CLUSTER_NODES', 'JWT_SECRET', 'JWT_PUBLIC_KEY', 'JWT_JWKS_URL', 'JWT_ISSUER',
      'JWT_AUDIENCE', 'CORS_ORIGINS', 'HEARTBEAT_MS', 'RETRY_MS', 'HISTORY_MAXLEN', 'HISTORY_TTL_S', 'MAX_CONNECTIONS',
      'MAX_CONNECTIONS_PER_SUBJECT', 'MAX_CHANNELS_PER_CONNECTION', 'CLIENT_BUFFER_BYTES', 'PUBLISH_MAX_BYTES',
      'SHUTDOWN_GRACE_MS', 'SCHEMAS_DIR', 'LOG_LEVEL', 'REDIS_KEY_PREFIX', 'NODE_ENV', 'UV_THREADPOOL_SIZE',
      'IDEMPOTENCY_TTL_S', 'STATE_TTL_S', 'REQUEST_TIMEOUT_MS', 'REPLAY_BUDGET_BYTES',
    ];
    expect([...CONFIG_VARIABLES].sort()).toEqual(spec.sort());
  });

  test('the replay budget defaults to 1/16 of the memory the process is given, between 4 and 64 MiB', () => {
    const budget = (memoryLimitBytes: number): number => loadConfig({ JWT_SECRET: SECRET }, { devSecretDir, memoryLimitBytes }).replayBudgetBytes;
    const MiB = 1024 * 1024;
    expect(budget(1024 * MiB)).toBe(64 * MiB); // a 1 GiB pod
    expect(budget(256 * MiB)).toBe(16 * MiB);
    expect(budget(32 * MiB)).toBe(4 * MiB);
    expect(budget(64 * 1024 * MiB)).toBe(64 * MiB);
    expect(load({ REPLAY_BUDGET_BYTES: '1048576' }).replayBudgetBytes).toBe(MiB);
    expect(configError({ REPLAY_BUDGET_BYTES: '1000' }).variable).toBe('REPLAY_BUDGET_BYTES');
    expect(configError({ REPLAY_BUDGET_BYTES: '64MB' }).variable).toBe('REPLAY_BUDGET_BYTES');
  });

  test('the memory limit is the cgroup\'s when it has one, else the machine\'s', () => {
    const dir = mkdtempSync(join(scratch, 'cgroup-'));
    const file = (name: string, text: string): string => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const machine = 24 * 1024 ** 3;
    expect(memoryLimitBytes([file('v2', '1073741824\n')], machine)).toBe(1073741824);
    expect(memoryLimitBytes([file('v2max', 'max\n'), file('v1', '536870912\n')], machine)).toBe(536870912);
    expect(memoryLimitBytes([file('v1none', '9223372036854771712\n')], machine)).toBe(machine);
    expect(memoryLimitBytes([join(dir, 'missing')], machine)).toBe(machine);
  });

  test('loadConfig reads only its argument', () => {
    const saved = process.env.PORT;
    process.env.PORT = 'not-a-port';
    try {
      expect(load({}).port).toBe(8080);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });
});

describe('numbers', () => {
  const numbers: [variable: string, key: keyof Config, good: string, bad: string[]][] = [
    ['PORT', 'port', '3000', ['abc', '-1', '65536', '80.5', '8080x', '1e3']],
    ['HEARTBEAT_MS', 'heartbeatMs', '5000', ['0', 'soon', '-5', '2147483648']],
    ['RETRY_MS', 'retryMs', '500', ['x', '-1', '1.5']],
    ['HISTORY_MAXLEN', 'historyMaxLen', '10', ['0', 'many', '-3']],
    ['HISTORY_TTL_S', 'historyTtlS', '60', ['0', '1d', '99999999999999999999']],
    ['MAX_CONNECTIONS', 'maxConnections', '10', ['0', 'lots']],
    ['MAX_CONNECTIONS_PER_SUBJECT', 'maxConnectionsPerSubject', '3', ['0', '3.0']],
    ['MAX_CHANNELS_PER_CONNECTION', 'maxChannelsPerConnection', '4', ['0', 'four']],
    ['CLIENT_BUFFER_BYTES', 'clientBufferBytes', '65536', ['0', '1MB']],
    ['PUBLISH_MAX_BYTES', 'publishMaxBytes', '1024', ['0', '64k']],
    ['SHUTDOWN_GRACE_MS', 'shutdownGraceMs', '250', ['-1', 'later']],
    ['IDEMPOTENCY_TTL_S', 'idempotencyTtlS', '600', ['0', '1h', '-60']],
    ['STATE_TTL_S', 'stateTtlS', '3600', ['0', '7d']],
    ['REQUEST_TIMEOUT_MS', 'requestTimeoutMs', '2500', ['0', '10s', '2147483648']],
  ];

  test.each(numbers)('%s: a good value is used, bad ones stop start-up naming it', (variable, key, good, bad) => {
    expect(load({ [variable]: good })[key]).toBe(Number(good));
    expect(load({ [variable]: ` ${good} ` })[key]).toBe(Number(good));
    for (const value of bad) {
      const error = configError({ [variable]: value });
      expect(error.variable).toBe(variable);
      expect(error.message).toContain(variable);
      expect(error.message).not.toContain('\n');
    }
  });

  test('PORT 0 (any free port) is allowed', () => {
    expect(load({ PORT: '0' }).port).toBe(0);
  });
});

describe('HOST, issuer and audience', () => {
  test('are taken as given', () => {
    expect(load({ HOST: '127.0.0.1', JWT_ISSUER: 'https://issuer.example', JWT_AUDIENCE: 'sse' })).toMatchObject({
      host: '127.0.0.1',
      jwtIssuer: 'https://issuer.example',
      jwtAudience: 'sse',
    });
  });
});

describe('Redis', () => {
  test('REDIS_URL: redis:// and rediss:// URLs', () => {
    expect(load({ REDIS_URL: 'redis://127.0.0.1:6379/0' }).redis).toEqual({ mode: 'standalone', url: 'redis://127.0.0.1:6379/0' });
    expect(load({ REDIS_URL: 'rediss://user:pw@cache.example:6380' }).redis).toEqual({ mode: 'standalone', url: 'rediss://user:pw@cache.example:6380' });
  });

  test.each(['http://127.0.0.1:6379', '127.0.0.1:6379', 'redis://', 'redis://host:6379/zero', 'redis://:hunter2@host:99999'])(
    'REDIS_URL %s is refused without echoing a password',
    (value) => {
      const error = configError({ REDIS_URL: value });
      expect(error.variable).toBe('REDIS_URL');
      expect(error.message).not.toContain('hunter2');
    },
  );

  test('REDIS_CLUSTER_NODES: host:port list, IPv6 in brackets', () => {
    expect(load({ REDIS_CLUSTER_NODES: 'redis-0:7000, 10.0.0.2:7001,[::1]:7002' }).redis).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'redis-0', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
    });
  });

  test.each(['redis-0', 'redis-0:', 'redis-0:7000,', 'a:0', 'a:70000', 'redis://a:7000', 'a b:7000'])('REDIS_CLUSTER_NODES %p is refused', (value) => {
    expect(configError({ REDIS_CLUSTER_NODES: value }).variable).toBe('REDIS_CLUSTER_NODES');
  });

  test('REDIS_URL and REDIS_CLUSTER_NODES together are refused', () => {
    expect(configError({ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'a:7000' }).variable).toBe('REDIS_CLUSTER_NODES');
  });

  test('REDIS_KEY_PREFIX: default sse, validated', () => {
    expect(load({ REDIS_KEY_PREFIX: 'tenant-a:sse' }).keyPrefix).toBe('tenant-a:sse');
    for (const bad of ['has space', 'a{b}', 'x'.repeat(65)]) expect(configError({ REDIS_KEY_PREFIX: bad }).variable).toBe('REDIS_KEY_PREFIX');
  });
});

describe('JWT keys', () => {
  test('JWT_SECRET: its exact bytes, at least 32 of them', () => {
    const secret = ' 0123456789abcdef0123456789abcdef';
    expect(load({ JWT_SECRET: secret }, false).jwt).toEqual({ kind: 'secret', secret: new TextEncoder().encode(secret) });
    const error = configError({ JWT_SECRET: 'too-short-secret' }, false);
    expect(error.variable).toBe('JWT_SECRET');
    expect(error.message).not.toContain('too-short-secret');
  });

  test.each([
    ['RSA', pem('rsa')],
    ['EC P-256', pem('ec')],
    ['EC P-384', pem('ec', 'public', 0, 'P-384')],
    ['Ed25519', pem('ed25519')],
  ])('JWT_PUBLIC_KEY: %s PEM is accepted', (_name, key) => {
    expect(load({ JWT_PUBLIC_KEY: key }, false).jwt).toEqual({ kind: 'public-key', pem: key.trim() });
  });

  test('JWT_PUBLIC_KEY on one line with \\n escapes (environment files) is accepted', () => {
    const key = pem('ec');
    expect(load({ JWT_PUBLIC_KEY: key.replace(/\n/g, '\\n') }, false).jwt).toEqual({ kind: 'public-key', pem: key.trim() });
  });

  test.each([
    ['not a key', 'hello'],
    ['a private key', pem('ec', 'private')],
    ['a truncated key', pem('rsa').slice(0, 120) + '\n-----END PUBLIC KEY-----\n'],
    ['a 1024-bit RSA key', pem('rsa', 'public', 1024)],
    ['an X25519 key (not for signatures)', pem('x25519')],
  ])('JWT_PUBLIC_KEY: %s is refused without echoing it', (_name, key) => {
    const error = configError({ JWT_PUBLIC_KEY: key }, false);
    expect(error.variable).toBe('JWT_PUBLIC_KEY');
    expect(error.message).not.toContain('\n');
    expect(error.message).not.toContain('MII');
  });

  test('JWT_JWKS_URL: an http(s) URL', () => {
    expect(load({ JWT_JWKS_URL: 'https://id.example/.well-known/jwks.json' }, false).jwt).toEqual({
      kind: 'jwks',
      url: new URL('https://id.example/.well-known/jwks.json'),
    });
    for (const bad of ['id.example/jwks.json', 'ftp://id.example/jwks', 'https://']) expect(configError({ JWT_JWKS_URL: bad }, false).variable).toBe('JWT_JWKS_URL');
  });

  test('more than one key variable is refused', () => {
    const error = configError({ JWT_SECRET: SECRET, JWT_JWKS_URL: 'https://id.example/jwks' }, false);
    expect(error.message).toMatch(/JWT_SECRET and JWT_JWKS_URL/);
    expect(error.message).not.toContain(SECRET);
    expect(configError({ JWT_PUBLIC_KEY: pem('ed25519'), JWT_JWKS_URL: 'https://id.example/jwks' }, false).variable).toBe('JWT_PUBLIC_KEY');
  });

  test('production without a key stops start-up naming JWT_SECRET', () => {
    const error = configError({ NODE_ENV: 'production' }, false);
    expect(error.variable).toBe('JWT_SECRET');
    expect(error.message).toMatch(/NODE_ENV=production/);
  });
});

describe('development secret', () => {
  test('without a key outside production: the one development secret, created once and reused', () => {
    const first = load({}, false).jwt;
    const second = load({}, false).jwt;
    if (first.kind !== 'secret' || second.kind !== 'secret') throw new Error('expected secrets');
    expect(first.devSecretFile).toBe(join(devSecretDir, 'dev-secret'));
    expect(first.secret.length).toBeGreaterThanOrEqual(32);
    expect(Buffer.from(second.secret).equals(Buffer.from(first.secret))).toBe(true);
    expect(readFileSync(second.devSecretFile!, 'utf8').trim()).toBe(new TextDecoder().decode(first.secret));
  });

  test('a development secret open to others is a ConfigError naming JWT_SECRET, on one line, and is left as it was', () => {
    const dir = join(scratch, 'open');
    mkdirSync(dir, { mode: 0o700 });
    const file = join(dir, 'dev-secret');
    writeFileSync(file, 'x'.repeat(43), { mode: 0o644 });
    chmodSync(file, 0o644);
    const error = (() => {
      try {
        loadConfig({}, { devSecretDir: dir });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('JWT_SECRET');
    expect((error as ConfigError).message).toMatch(/^JWT_SECRET is unset and the development secret cannot be used: .*dev-secret is open to other users \(mode 644\)/);
    expect((error as ConfigError).message).not.toContain('\n');
    expect((error as ConfigError).message).not.toContain('x'.repeat(43));
    expect(statSync(file).mode & 0o777).toBe(0o644);
  });

  test('a folder that cannot be used is a ConfigError naming JWT_SECRET', () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, 'x');
    expect(() => loadConfig({}, { devSecretDir: file })).toThrow(ConfigError);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  test('the default folder is per user under the temporary directory', () => {
    expect(defaultDevSecretDir()).toBe(join(tmpdir(), `sse-gateway-${process.getuid!()}`));
  });
});

describe('CORS_ORIGINS, LOG_LEVEL, UV_THREADPOOL_SIZE, SCHEMAS_DIR', () => {
  test('CORS_ORIGINS: an allowlist of origins, or * alone', () => {
    expect(load({ CORS_ORIGINS: 'https://app.example, http://localhost:3000' }).corsOrigins).toEqual(['https://app.example', 'http://localhost:3000']);
    expect(load({ CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
    for (const bad of ['*,https://app.example', 'https://app.example/', 'app.example', 'https://app.example/path', 'file:///x']) {
      expect(configError({ CORS_ORIGINS: bad }).variable).toBe('CORS_ORIGINS');
    }
  });

  test('LOG_LEVEL: a winston level', () => {
    expect(load({ LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(load({ LOG_LEVEL: 'WARN' }).logLevel).toBe('warn');
    expect(configError({ LOG_LEVEL: 'loud' }).variable).toBe('LOG_LEVEL');
  });

  test('UV_THREADPOOL_SIZE: libuv\'s own limits (1–1024)', () => {
    expect(load({ UV_THREADPOOL_SIZE: '2' }).threadPoolSize).toBe(2);
    expect(load({ UV_THREADPOOL_SIZE: '64' }).threadPoolSize).toBe(64);
    for (const bad of ['0', '1025', 'four']) expect(configError({ UV_THREADPOOL_SIZE: bad }).variable).toBe('UV_THREADPOOL_SIZE');
  });

  test('SCHEMAS_DIR: an existing folder, made absolute', () => {
    expect(load({ SCHEMAS_DIR: scratch }).schemasDir).toBe(scratch);
    expect(configError({ SCHEMAS_DIR: join(scratch, 'missing') }).variable).toBe('SCHEMAS_DIR');
    const file = join(scratch, 'schema-file');
    writeFileSync(file, '{}');
    expect(configError({ SCHEMAS_DIR: file }).variable).toBe('SCHEMAS_DIR');
  });
});
