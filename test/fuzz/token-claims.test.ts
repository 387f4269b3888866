// Property tests of token verification and claims (gateway/src/auth/token-verifier.ts, claims.ts)
// with real jose-signed tokens: any signed payload, header or tampered token gives the claims it
// carries, or GatewayError('invalid_token') — a 401 — and never anything else.
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { CompactSign, SignJWT, type JWTPayload } from 'jose';
import type { Claims } from '../../gateway/src/auth/claims';
import { createTokenVerifier } from '../../gateway/src/auth/token-verifier';
import { GatewayError } from '../../gateway/src/errors';
import { awkwardString, runs } from '../helpers/property';

const SECRET = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
const ISSUER = 'https://issuer.test';
const verifier = createTokenVerifier({ jwt: { kind: 'secret', secret: SECRET }, jwtIssuer: ISSUER, jwtAudience: undefined }, { cacheSize: 64 });
const now = (): number => Math.floor(Date.now() / 1000);

afterAll(() => verifier.close());

async function verifyOr401(token: string): Promise<Claims | GatewayError> {
  try {
    return await verifier.verify(token);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw new Error(`untyped error: ${String(error)}`);
    expect(error.code).toBe('invalid_token');
    expect(error.status).toBe(401);
    if (token.length >= 16) expect(error.message).not.toContain(token); // shorter strings may be words of a message
    return error;
  }
}

/** Any JSON at all where the claims could be, valid ones most often. */
const claimValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), awkwardString({ maxLength: 10 }));
const patterns = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.oneof(fc.constantFrom('execution:*', '*', 'a', ''), awkwardString({ maxLength: 8 })), { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.array(claimValue, { maxLength: 4 }) },
  { weight: 1, arbitrary: claimValue },
);
const payload: fc.Arbitrary<JWTPayload> = fc.record(
  {
    sub: fc.oneof({ weight: 4, arbitrary: awkwardString({ maxLength: 20 }) }, { weight: 1, arbitrary: claimValue }),
    sse: fc.oneof({ weight: 4, arbitrary: fc.record({ subscribe: patterns, publish: patterns }, { requiredKeys: [] }) }, { weight: 1, arbitrary: claimValue }),
    exp: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -100, max: 100000 }).map((s) => now() + s) }, { weight: 1, arbitrary: claimValue }, { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
    nbf: fc.oneof(fc.integer({ min: -1000, max: 1000 }).map((s) => now() + s), claimValue),
    iss: fc.oneof({ weight: 4, arbitrary: fc.constant(ISSUER) }, { weight: 1, arbitrary: claimValue }),
    iat: fc.oneof(fc.integer({ min: -1000, max: 1000 }).map((s) => now() + s), claimValue),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<JWTPayload>;

function expectedPatterns(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

test('any signed claims give exactly the rights they name, or a 401', async () => {
  await fc.assert(
    fc.asyncProperty(payload, async (claims) => {
      const token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(SECRET);
      const result = await verifyOr401(token);
      if (result instanceof GatewayError) return;
      const sse = claims['sse'] as Record<string, unknown> | undefined;
      expect(result.subject).toBe(claims.sub);
      expect(result.subject).not.toBe('');
      expect(claims.iss).toBe(ISSUER);
      expect(result.subscribe).toEqual(expectedPatterns(sse?.['subscribe']));
      expect(result.publish).toEqual(expectedPatterns(sse?.['publish']));
      expect(result.expiresAt).toBe(typeof claims.exp === 'number' ? claims.exp * 1000 : undefined);
      if (typeof claims.exp === 'number') expect(claims.exp).toBeGreaterThan(now() - 1);
    }),
    runs(1000),
  );
});

test('any payload bytes and protected header, signed, give claims or a 401', async () => {
  const header = fc.record(
    { alg: fc.constantFrom('HS256', 'HS256', 'HS384', 'none', 'RS256', 'ES256'), typ: fc.constantFrom('JWT', 'jwt', 'x'), crit: fc.constant(['b64']).map((crit) => [...crit]), b64: fc.boolean(), kid: fc.string({ maxLength: 10 }) },
    { requiredKeys: ['alg'] },
  );
  const bytes = fc.oneof(fc.uint8Array({ maxLength: 60 }), fc.json({ maxDepth: 2 }).map((text) => new TextEncoder().encode(text)), fc.string({ unit: 'binary', maxLength: 30 }).map((text) => new TextEncoder().encode(text)));
  await fc.assert(
    fc.asyncProperty(header, bytes, async (protectedHeader, body) => {
      // jose refuses to sign some headers itself (alg none, an unknown crit): those are hand-made below.
      const token = await new CompactSign(body).setProtectedHeader({ ...protectedHeader, alg: 'HS256' }).sign(SECRET).catch(() => undefined);
      const forged = `${Buffer.from(JSON.stringify(protectedHeader)).toString('base64url')}.${Buffer.from(body).toString('base64url')}.${token?.split('.')[2] ?? ''}`;
      for (const candidate of token === undefined ? [forged] : [token, forged]) await verifyOr401(candidate);
    }),
    runs(1000),
  );
});

test('any string, and any edit of a valid token, is a 401 or the very same claims', async () => {
  const valid = await new SignJWT({ sse: { subscribe: ['execution:*'] } }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuer(ISSUER).setExpirationTime(now() + 600).sign(SECRET);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const otherKey = await new SignJWT({ sse: { subscribe: ['*'] } }).setProtectedHeader({ alg: 'RS256' }).setSubject('mallory').setIssuer(ISSUER).sign(rsa.privateKey);
  const edited = fc.tuple(fc.nat(), fc.constantFrom(...'AZaz09_-.=+/ '), fc.constantFrom('replace', 'insert', 'drop')).map(([at, char, kind]) => {
    const i = at % valid.length;
    return kind === 'replace' ? valid.slice(0, i) + char + valid.slice(i + 1) : kind === 'insert' ? valid.slice(0, i) + char + valid.slice(i) : valid.slice(0, i) + valid.slice(i + 1);
  });
  const anyString = fc.oneof(edited, fc.string({ unit: 'binary', maxLength: 80 }), fc.constant(otherKey), fc.constant('x'.repeat(9000)), fc.constant(`${valid}.${valid}`));
  await fc.assert(
    fc.asyncProperty(anyString, async (token) => {
      const result = await verifyOr401(token);
      if (result instanceof GatewayError) return;
      expect(result).toMatchObject({ subject: 'alice', subscribe: ['execution:*'], publish: [] });
    }),
    runs(1500),
  );
});
