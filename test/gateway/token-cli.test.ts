// `npm run token`: spawned as a real process, its tokens checked with the gateway's own verifier.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeJwt } from 'jose';
import { createTokenVerifier } from '../../gateway/src/auth/token-verifier';
import { loadConfig } from '../../gateway/src/config';

const ROOT = resolve(__dirname, '../..');
const SECRET = 'cli-test-secret-0123456789abcdef0123';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'token-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI with only `env` as JWT configuration, and TMPDIR pointing at this test's folder. */
function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('JWT_') && name !== 'NODE_ENV'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/cli/token.ts', ...args], {
    cwd: ROOT,
    env: { ...base, TMPDIR: tmp, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

function verifierFor(secret: Uint8Array, issuer?: string, audience?: string) {
  return createTokenVerifier({ jwt: { kind: 'secret', secret }, jwtIssuer: issuer, jwtAudience: audience });
}

test('mints a token with JWT_SECRET: repeated and comma-separated patterns, default ttl 1h, only the token on stdout', async () => {
  const result = await run(['--sub', 'alice', '--subscribe', 'execution:*', '--subscribe', 'crew:7:runs,crew:8:runs', '--publish', 'execution:42'], { JWT_SECRET: SECRET });
  expect(result).toMatchObject({ code: 0, stderr: '' });
  expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  const token = result.stdout.trim();
  const verifier = verifierFor(new TextEncoder().encode(SECRET));
  const claims = await verifier.verify(token);
  expect(claims).toMatchObject({ subject: 'alice', subscribe: ['execution:*', 'crew:7:runs', 'crew:8:runs'], publish: ['execution:42'] });
  const { iat, exp } = decodeJwt(token);
  expect(exp! - iat!).toBe(3600);
  verifier.close();
});

test.each([
  ['30s', 30],
  ['15m', 900],
  ['7d', 604800],
  ['90', 90],
])('--ttl %s', async (ttl, seconds) => {
  const result = await run(['--sub', 'a', '--ttl', ttl], { JWT_SECRET: SECRET });
  expect(result.code).toBe(0);
  const { iat, exp, sse } = decodeJwt(result.stdout.trim());
  expect(exp! - iat!).toBe(seconds);
  expect(sse).toEqual({ subscribe: [], publish: [] });
});

test('JWT_ISSUER and JWT_AUDIENCE become iss and aud', async () => {
  const result = await run(['--sub', 'ops', '--subscribe', '*'], { JWT_SECRET: SECRET, JWT_ISSUER: 'https://id.example', JWT_AUDIENCE: 'sse' });
  expect(result.code).toBe(0);
  const verifier = verifierFor(new TextEncoder().encode(SECRET), 'https://id.example', 'sse');
  await expect(verifier.verify(result.stdout.trim())).resolves.toMatchObject({ subject: 'ops', subscribe: ['*'] });
  verifier.close();
});

test('without JWT_SECRET it signs with the development secret a gateway made', async () => {
  // What `npm start` does without a key: loadConfig makes the secret under the (child's) tmpdir.
  const config = loadConfig({}, { devSecretDir: join(tmp, `sse-gateway-${process.getuid!()}`) });
  if (config.jwt.kind !== 'secret') throw new Error('expected the development secret');
  const result = await run(['--sub', 'newcomer', '--subscribe', 'execution:*']);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  const verifier = createTokenVerifier(config);
  await expect(verifier.verify(result.stdout.trim())).resolves.toMatchObject({ subject: 'newcomer', subscribe: ['execution:*'] });
  verifier.close();
  rmSync(config.jwt.devSecretFile!);
});

test('before any gateway: it makes the development secret, says where on stderr, and gateways started later use it', async () => {
  const own = join(tmp, 'first');
  mkdirSync(own);
  const result = await run(['--sub', 'early', '--subscribe', 'execution:*'], { TMPDIR: own });
  expect(result.code).toBe(0);
  const file = join(own, `sse-gateway-${process.getuid!()}`, 'dev-secret');
  expect(result.stderr).toBe(`token: made the development secret ${file}; development gateways started without a JWT key use it too\n`);
  const config = loadConfig({}, { devSecretDir: join(own, `sse-gateway-${process.getuid!()}`) });
  const verifier = createTokenVerifier(config);
  await expect(verifier.verify(result.stdout.trim())).resolves.toMatchObject({ subject: 'early' });
  verifier.close();
  // The next run finds it and says nothing.
  expect(await run(['--sub', 'again'], { TMPDIR: own })).toMatchObject({ code: 0, stderr: '' });
});

test('NODE_ENV=production without JWT_SECRET: exit 1 with a clear line, nothing on stdout, no secret made', async () => {
  const own = join(tmp, 'production');
  mkdirSync(own);
  const result = await run(['--sub', 'alice'], { TMPDIR: own, NODE_ENV: 'production' });
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toBe('token: JWT_SECRET is unset: with NODE_ENV=production there is no development secret; set the JWT_SECRET your gateways use\n');
  expect(readdirSync(own)).not.toContain(`sse-gateway-${process.getuid!()}`);
});

test('a development secret open to others: exit 1 naming the file and the fix', async () => {
  const own = join(tmp, 'open');
  const dir = join(own, `sse-gateway-${process.getuid!()}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'dev-secret'), 'y'.repeat(43), { mode: 0o644 });
  chmodSync(join(dir, 'dev-secret'), 0o644);
  const result = await run(['--sub', 'alice'], { TMPDIR: own });
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^token: JWT_SECRET is unset and the development secret cannot be used: .*dev-secret is open to other users \(mode 644\): chmod 600 /);
  expect(result.stderr).not.toContain('y'.repeat(43));
});

test('a public key or JWKS cannot mint: exit 1 naming the variable', async () => {
  const pem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const withKey = await run(['--sub', 'alice'], { JWT_PUBLIC_KEY: pem });
  expect(withKey.code).toBe(1);
  expect(withKey.stderr).toMatch(/JWT_PUBLIC_KEY is set/);
  const withJwks = await run(['--sub', 'alice'], { JWT_JWKS_URL: 'https://id.example/jwks.json' });
  expect(withJwks.code).toBe(1);
  expect(withJwks.stderr).toMatch(/JWT_JWKS_URL is set/);
});

test('a JWT_SECRET too short to be safe is refused without echoing it', async () => {
  const result = await run(['--sub', 'alice'], { JWT_SECRET: 'short-secret' });
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/JWT_SECRET is 12 bytes long/);
  expect(result.stderr).not.toContain('short-secret');
});

test.each([
  ['no --sub', ['--subscribe', 'a']],
  ['a bad --ttl', ['--sub', 'a', '--ttl', '1y']],
  ['a zero --ttl', ['--sub', 'a', '--ttl', '0s']],
  ['a malformed pattern', ['--sub', 'a', '--subscribe', 'exec*tion']],
  ['an unknown option', ['--sub', 'a', '--admin']],
])('usage errors exit 2: %s', async (_name, args) => {
  const result = await run(args, { JWT_SECRET: SECRET });
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^token: .+\nRun with --help for usage\.\n$/);
});

test('--help prints the usage and exits 0', async () => {
  const result = await run(['--help']);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/Usage: npm run token -- --sub <subject>/);
});
