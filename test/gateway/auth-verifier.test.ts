// The verifier against real jose-signed tokens: every accept / refuse case of the Auth acceptance.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { createTokenVerifier, type TokenVerifier } from '../../gateway/src/auth/token-verifier';
import { GatewayError } from '../../gateway/src/errors';
import type { Config } from '../../gateway/src/config';
import { waitFor } from '../helpers/wait-for';

const SECRET = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
const OTHER_SECRET = new TextEncoder().encode('fedcba9876543210fedcba9876543210');
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const otherEc = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');

const RIGHTS = { subscribe: ['execution:*'], publish: ['execution:42'] };
const now = (): number => Math.floor(Date.now() / 1000);

interface TokenOptions {
  alg?: string;
  kid?: string;
  sub?: string | undefined;
  exp?: number | undefined;
  nbf?: number;
  iss?: string;
  aud?: string;
  claims?: JWTPayload;
}

async function sign(key: KeyObject | Uint8Array, options: TokenOptions = {}): Promise<string> {
  const payload: JWTPayload = { sse: RIGHTS, ...options.claims };
  if (!('sub' in options)) payload.sub = 'alice';
  else if (options.sub !== undefined) payload.sub = options.sub;
  const exp = 'exp' in options ? options.exp : now() + 600;
  if (exp !== undefined) payload.exp = exp;
  if (options.nbf !== undefined) payload.nbf = options.nbf;
  if (options.iss !== undefined) payload.iss = options.iss;
  if (options.aud !== undefined) payload.aud = options.aud;
  return new SignJWT(payload).setProtectedHeader({ alg: options.alg ?? 'HS256', ...(options.kid ? { kid: options.kid } : {}) }).sign(key);
}

/** An unsecured JWT (`alg: none`), which jose refuses to create. */
function unsecured(payload: JWTPayload): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`;
}

type JwtSetting = Config['jwt'];
const secretKey: JwtSetting = { kind: 'secret', secret: SECRET };
const pemOf = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();

function verifier(jwt: JwtSetting, extra: Partial<Pick<Config, 'jwtIssuer' | 'jwtAudience'>> = {}): TokenVerifier {
  return createTokenVerifier({ jwt, jwtIssuer: extra.jwtIssuer, jwtAudience: extra.jwtAudience });
}

/** Rejects with invalid_token and `reason`, and the message never contains the token. */
async function expectRefused(v: TokenVerifier, token: string, reason: string | RegExp, code = 'invalid_token'): Promise<void> {
  const error: unknown = await v.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  const gatewayError = error as GatewayError;
  expect(gatewayError.code).toBe(code);
  expect(gatewayError.message).toMatch(reason);
  if (token !== '') expect(gatewayError.message).not.toContain(token.split('.')[1] || token);
}

describe('HS256 secret', () => {
  const v = verifier(secretKey);
  afterAll(() => v.close());

  test('a valid token gives its claims', async () => {
    const exp = now() + 300;
    await expect(v.verify(await sign(SECRET, { exp }))).resolves.toEqual({
      subject: 'alice',
      subscribe: ['execution:*'],
      publish: ['execution:42'],
      expiresAt: exp * 1000,
    });
  });

  test('a token without exp has no expiry', async () => {
    await expect(v.verify(await sign(SECRET, { exp: undefined }))).resolves.toMatchObject({ expiresAt: undefined });
  });

  test('wrong signature', async () => {
    await expectRefused(v, await sign(OTHER_SECRET), 'token signature invalid');
    const [header, , signature] = (await sign(SECRET)).split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'mallory', sse: { subscribe: ['*'] } })).toString('base64url');
    await expectRefused(v, `${header}.${forged}.${signature}`, 'token signature invalid');
  });

  test('expired', async () => {
    await expectRefused(v, await sign(SECRET, { exp: now() - 1 }), 'token expired');
  });

  test('not yet valid', async () => {
    await expectRefused(v, await sign(SECRET, { nbf: now() + 60 }), 'token not yet valid');
  });

  test('alg none', async () => {
    await expectRefused(v, unsecured({ sub: 'alice', sse: RIGHTS, exp: now() + 60 }), /not allowed|malformed/);
  });

  test('an RS256 token against a secret', async () => {
    await expectRefused(v, await sign(rsa.privateKey, { alg: 'RS256' }), 'token algorithm not allowed');
  });

  test('HS384 / HS512 with the right secret are not HS256', async () => {
    await expectRefused(v, await sign(SECRET, { alg: 'HS384' }), 'token algorithm not allowed');
    await expectRefused(v, await sign(SECRET, { alg: 'HS512' }), 'token algorithm not allowed');
  });

  test('sub is required and must be a non-empty string', async () => {
    await expectRefused(v, await sign(SECRET, { sub: undefined }), 'token has no sub');
    await expectRefused(v, await sign(SECRET, { sub: '' }), 'token has no sub');
  });

  test('garbage, empty and oversized tokens', async () => {
    await expectRefused(v, 'not-a-jwt', 'malformed token');
    await expectRefused(v, 'a.b.c', 'malformed token');
    await expectRefused(v, '', 'malformed token');
    await expectRefused(v, `${await sign(SECRET)}${'x'.repeat(9000)}`, 'token too long');
  });

  test.each<[string, unknown, { subscribe: string[]; publish: string[] }]>([
    ['no sse claim', undefined, { subscribe: [], publish: [] }],
    ['sse is a string', 'everything', { subscribe: [], publish: [] }],
    ['sse is an array', ['*'], { subscribe: [], publish: [] }],
    ['subscribe is a string', { subscribe: '*', publish: ['a'] }, { subscribe: [], publish: ['a'] }],
    ['non-string entries are dropped', { subscribe: ['a', 1, null, { x: 1 }, 'b*'] }, { subscribe: ['a', 'b*'], publish: [] }],
  ])('%s', async (_name, sse, rights) => {
    const payload: JWTPayload = { sub: 'bob', exp: now() + 60 };
    if (sse !== undefined) payload.sse = sse;
    const token = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(SECRET);
    await expect(v.verify(token)).resolves.toMatchObject(rights);
  });
});

describe('issuer and audience', () => {
  const v = verifier(secretKey, { jwtIssuer: 'https://id.example', jwtAudience: 'sse-gateway' });
  afterAll(() => v.close());

  test('accepted when both match', async () => {
    await expect(v.verify(await sign(SECRET, { iss: 'https://id.example', aud: 'sse-gateway' }))).resolves.toMatchObject({ subject: 'alice' });
  });

  test('wrong or missing iss', async () => {
    await expectRefused(v, await sign(SECRET, { iss: 'https://evil.example', aud: 'sse-gateway' }), 'unexpected token issuer');
    await expectRefused(v, await sign(SECRET, { aud: 'sse-gateway' }), /issuer|claim/);
  });

  test('wrong or missing aud', async () => {
    await expectRefused(v, await sign(SECRET, { iss: 'https://id.example', aud: 'other' }), 'unexpected token audience');
    await expectRefused(v, await sign(SECRET, { iss: 'https://id.example' }), /audience|claim/);
  });

  test('unchecked when not configured', async () => {
    const open = verifier(secretKey);
    await expect(open.verify(await sign(SECRET, { iss: 'anyone', aud: 'anything' }))).resolves.toMatchObject({ subject: 'alice' });
    open.close();
  });
});

describe('PEM public keys', () => {
  test('RSA: RS256 and PS256 accepted; HS256 signed with the public key, ES256 and none refused', async () => {
    const pem = pemOf(rsa.publicKey);
    const v = verifier({ kind: 'public-key', pem });
    await expect(v.verify(await sign(rsa.privateKey, { alg: 'RS256' }))).resolves.toMatchObject({ subject: 'alice' });
    await expect(v.verify(await sign(rsa.privateKey, { alg: 'PS256' }))).resolves.toMatchObject({ subject: 'alice' });
    // The classic confusion attack: the public key's PEM text used as an HMAC secret.
    await expectRefused(v, await sign(new TextEncoder().encode(pem), { alg: 'HS256' }), 'token algorithm not allowed');
    await expectRefused(v, await sign(SECRET, { alg: 'HS256' }), 'token algorithm not allowed');
    await expectRefused(v, await sign(ec.privateKey, { alg: 'ES256' }), 'token algorithm not allowed');
    await expectRefused(v, unsecured({ sub: 'alice', exp: now() + 60 }), /not allowed|malformed/);
    await expectRefused(v, await sign(rsa.privateKey, { alg: 'RS256', exp: now() - 5 }), 'token expired');
    v.close();
  });

  test('EC P-256: ES256 accepted, another key refused', async () => {
    const v = verifier({ kind: 'public-key', pem: pemOf(ec.publicKey) });
    await expect(v.verify(await sign(ec.privateKey, { alg: 'ES256' }))).resolves.toMatchObject({ subject: 'alice' });
    await expectRefused(v, await sign(otherEc.privateKey, { alg: 'ES256' }), 'token signature invalid');
    await expectRefused(v, await sign(new TextEncoder().encode(pemOf(ec.publicKey)), { alg: 'HS256' }), 'token algorithm not allowed');
    v.close();
  });

  test('Ed25519: EdDSA accepted, RS256 refused', async () => {
    const v = verifier({ kind: 'public-key', pem: pemOf(ed.publicKey) });
    await expect(v.verify(await sign(ed.privateKey, { alg: 'EdDSA' }))).resolves.toMatchObject({ subject: 'alice' });
    await expectRefused(v, await sign(rsa.privateKey, { alg: 'RS256' }), 'token algorithm not allowed');
    v.close();
  });
});

/** A JWKS endpoint on a real HTTP server, counting its requests; its keys can change. */
class JwksServer {
  requests = 0;
  status = 200;
  keys: object[] = [];
  private server: Server = createServer((_req, res) => {
    this.requests += 1;
    res.writeHead(this.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: this.keys }));
  });

  async start(): Promise<URL> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return new URL(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function jwk(key: KeyObject, kid: string, alg: string): object {
  return { ...key.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

describe('JWKS', () => {
  const server = new JwksServer();
  let url: URL;
  const rsa2 = generateKeyPairSync('rsa', { modulusLength: 2048 });

  beforeAll(async () => {
    url = await server.start();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests = 0;
    server.status = 200;
    server.keys = [jwk(rsa.publicKey, 'k1', 'RS256'), jwk(ed.publicKey, 'ed1', 'EdDSA')];
  });

  test('keys are fetched once and cached; an unknown kid refetches only after the cooldown', async () => {
    const cooldownMs = 1000;
    const v = createTokenVerifier({ jwt: { kind: 'jwks', url }, jwtIssuer: undefined, jwtAudience: undefined }, { jwksCooldownMs: cooldownMs });
    await expect(v.verify(await sign(rsa.privateKey, { alg: 'RS256', kid: 'k1' }))).resolves.toMatchObject({ subject: 'alice' });
    const fetchedAt = Date.now();
    await expect(v.verify(await sign(ed.privateKey, { alg: 'EdDSA', kid: 'ed1', sub: 'bob' }))).resolves.toMatchObject({ subject: 'bob' });
    expect(server.requests).toBe(1);

    // The key is rotated in: within the cooldown an unknown kid is refused without a fetch,
    // however many arrive (a flood of bad kids cannot hammer the key server).
    server.keys.push(jwk(rsa2.publicKey, 'k2', 'RS256'));
    const rotated = await sign(rsa2.privateKey, { alg: 'RS256', kid: 'k2' });
    const flood = await Promise.all(Array.from({ length: 20 }, (_, i) => sign(rsa2.privateKey, { alg: 'RS256', kid: 'k2', sub: `u${i}` })));
    await expectRefused(v, rotated, 'no key matches the token');
    await Promise.all(flood.map((token) => expectRefused(v, token, 'no key matches the token')));
    // Only meaningful if all of that happened inside the cooldown.
    expect(Date.now() - fetchedAt).toBeLessThan(cooldownMs);
    expect(server.requests).toBe(1);

    // Once the cooldown has passed, the next unknown kid refetches once and the new key verifies.
    const claims = await waitFor(() => v.verify(rotated), { intervalMs: 100, message: 'the rotated key to be fetched' });
    expect(claims.subject).toBe('alice');
    expect(Date.now() - fetchedAt).toBeGreaterThanOrEqual(cooldownMs - 50);
    expect(server.requests).toBe(2);
    v.close();
  });

  test('concurrent first verifications share one fetch', async () => {
    const v = createTokenVerifier({ jwt: { kind: 'jwks', url }, jwtIssuer: undefined, jwtAudience: undefined });
    const tokens = await Promise.all(Array.from({ length: 25 }, (_, i) => sign(rsa.privateKey, { alg: 'RS256', kid: 'k1', sub: `user-${i}` })));
    const claims = await Promise.all(tokens.map((token) => v.verify(token)));
    expect(claims.map((c) => c.subject)).toEqual(tokens.map((_, i) => `user-${i}`));
    expect(server.requests).toBe(1);
    v.close();
  });

  test('only asymmetric algorithms: an HS256 token is refused without a fetch, even with an oct key in the set', async () => {
    server.keys.push({ kty: 'oct', k: Buffer.from(SECRET).toString('base64url'), kid: 'hs', alg: 'HS256' });
    const v = createTokenVerifier({ jwt: { kind: 'jwks', url }, jwtIssuer: undefined, jwtAudience: undefined });
    await expectRefused(v, await sign(SECRET, { alg: 'HS256', kid: 'hs' }), 'token algorithm not allowed');
    await expectRefused(v, unsecured({ sub: 'alice', exp: now() + 60 }), /not allowed|malformed/);
    expect(server.requests).toBe(0);
    v.close();
  });

  test('expired and wrong-signature tokens are refused', async () => {
    const v = createTokenVerifier({ jwt: { kind: 'jwks', url }, jwtIssuer: undefined, jwtAudience: undefined });
    await expectRefused(v, await sign(rsa.privateKey, { alg: 'RS256', kid: 'k1', exp: now() - 1 }), 'token expired');
    await expectRefused(v, await sign(rsa2.privateKey, { alg: 'RS256', kid: 'k1' }), 'token signature invalid');
    v.close();
  });

  test('an unreachable or failing key server is a 503, not a bad token', async () => {
    server.status = 500;
    const v = createTokenVerifier({ jwt: { kind: 'jwks', url }, jwtIssuer: undefined, jwtAudience: undefined });
    await expectRefused(v, await sign(rsa.privateKey, { alg: 'RS256', kid: 'k1' }), 'signing keys unavailable', 'auth_unavailable');
    expect(server.requests).toBe(1);
    v.close();
  });
});

describe('verified-token cache', () => {
  test('a second verification of the same token is served from the cache until close()', async () => {
    const server = new JwksServer();
    server.keys = [jwk(rsa.publicKey, 'k1', 'RS256')];
    const url = await server.start();
    // The JWKS is fetched again on every lookup and its keys vanish: only the verified-token cache can accept.
    const v = createTokenVerifier({ jwt: { kind: 'jwks', url }, jwtIssuer: undefined, jwtAudience: undefined }, { jwksCooldownMs: 0, jwksMaxAgeMs: 0 });
    const token = await sign(rsa.privateKey, { alg: 'RS256', kid: 'k1' });
    const first = await v.verify(token);
    server.keys = [];
    await expect(v.verify(token)).resolves.toBe(first);
    v.close();
    // After close the cache is empty: the key is gone, so the token is now refused.
    await expectRefused(v, token, 'no key matches the token');
    await server.close();
  });
});
