// JWT verification against the one configured key: a shared secret (HS256, checked inline by
// hs256.ts), a PEM public key (only its own type's algorithms) or a JWKS endpoint (asymmetric
// algorithms only), both with jose.
// Every failure is GatewayError('invalid_token') with a short reason that never includes the token.
import { createPublicKey, hash, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { Config } from '../config';
import { GatewayError } from '../errors';
import type { Claims } from './claims';
import { hs256Key, verifyHs256, type Hs256Expectations } from './hs256';
import { algorithmsForPublicKey, ASYMMETRIC_ALGORITHMS } from './key-algorithms';
import { VerifiedTokenCache } from './verified-token-cache';

export interface TokenVerifier {
  /** The token's claims; rejects with GatewayError('invalid_token') when it is not acceptable. */
  verify(token: string): Promise<Claims>;
  /** Forgets every cached verification. */
  close(): void;
}

interface TokenVerifierOptions {
  /** Verified tokens remembered. @default 10000 */
  cacheSize?: number;
  /** After a JWKS fetch, tokens with an unknown `kid` trigger no new fetch for this long. @default 30000 */
  jwksCooldownMs?: number;
  /** A JWKS older than this is fetched again. @default 600000 */
  jwksMaxAgeMs?: number;
}

/** Longest a verification is remembered, even for a token with a later `exp`. */
const CACHE_MAX_AGE_MS = 300000;
/** Longest wait for the JWKS endpoint's answer. */
const JWKS_TIMEOUT_MS = 5000;

/** Longer than any sane JWT; refused before parsing so a huge value costs nothing. */
const MAX_TOKEN_LENGTH = 8192;

/**
 * The payload of a token that passes every check; throws (or rejects) with jose's errors otherwise.
 * Inline (HS256) it returns at once; with jose it waits (WebCrypto, a JWKS fetch).
 */
type PayloadCheck =
  | { inline: true; check: (token: string) => JWTPayload }
  | { inline: false; check: (token: string) => Promise<JWTPayload> };

export function createTokenVerifier(
  config: Pick<Config, 'jwt' | 'jwtIssuer' | 'jwtAudience'>,
  options: TokenVerifierOptions = {},
): TokenVerifier {
  const payload = payloadCheck(config, options);
  const cache = new VerifiedTokenCache(options.cacheSize ?? 10000, CACHE_MAX_AGE_MS);
  // Concurrent connects with the same token share one jose verification. An inline check ends
  // before the next connect's I/O callback runs, so it has nothing to share and skips the Map.
  const inFlight = new Map<string, Promise<Claims>>();

  function accepted(key: string, verified: JWTPayload): Claims {
    const claims = claimsOf(verified);
    cache.set(key, claims, Date.now());
    return claims;
  }

  function verifyInline(token: string, key: string, check: (token: string) => JWTPayload): Promise<Claims> {
    try {
      return Promise.resolve(accepted(key, check(token)));
    } catch (error) {
      return Promise.reject(toGatewayError(error));
    }
  }

  async function verifyWithJose(token: string, key: string, check: (token: string) => Promise<JWTPayload>): Promise<Claims> {
    let verified: JWTPayload;
    try {
      verified = await check(token);
    } catch (error) {
      throw toGatewayError(error);
    }
    return accepted(key, verified);
  }

  return {
    verify(token) {
      if (token.length > MAX_TOKEN_LENGTH) return Promise.reject(new GatewayError('invalid_token', 'token too long'));
      const key = cacheKey(token);
      const cached = cache.get(key, Date.now());
      if (cached !== undefined) return Promise.resolve(cached);
      if (payload.inline) return verifyInline(token, key, payload.check);
      let pending = inFlight.get(key);
      if (pending === undefined) {
        pending = verifyWithJose(token, key, payload.check).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return pending;
    },
    close() {
      cache.clear();
    },
  };
}

/**
 * Cache entries are keyed by the token's SHA-256, not the token: a stream outlives its handshake,
 * and 10,000 cached tokens of ~400 bytes each would cost as much memory as the idle connections'
 * own sockets. (It also keeps bearer tokens out of long-lived memory.)
 */
function cacheKey(token: string): string {
  return hash('sha256', token, 'base64');
}

function payloadCheck(config: Pick<Config, 'jwt' | 'jwtIssuer' | 'jwtAudience'>, options: TokenVerifierOptions): PayloadCheck {
  const { jwt } = config;
  const expected: Hs256Expectations = { issuer: config.jwtIssuer, audience: config.jwtAudience };
  const joseOptions = (algorithms: readonly string[]): JWTVerifyOptions => ({
    algorithms: [...algorithms],
    ...(expected.issuer === undefined ? {} : { issuer: expected.issuer }),
    ...(expected.audience === undefined ? {} : { audience: expected.audience }),
  });
  switch (jwt.kind) {
    case 'secret': {
      const key = hs256Key(jwt.secret);
      return { inline: true, check: (token) => verifyHs256(token, key, expected, Math.floor(Date.now() / 1000)) };
    }
    case 'public-key': {
      const key: KeyObject = createPublicKey(jwt.pem);
      const usable = algorithmsForPublicKey(key);
      if ('unsupported' in usable) throw new Error(`unsupported JWT public key: ${usable.unsupported}`);
      const verifyOptions = joseOptions(usable.algorithms);
      return { inline: false, check: async (token) => (await jwtVerify(token, key, verifyOptions)).payload };
    }
    case 'jwks': {
      const key = jwksKey(jwt.url, options);
      const verifyOptions = joseOptions(ASYMMETRIC_ALGORITHMS);
      return { inline: false, check: async (token) => (await jwtVerify(token, key, verifyOptions)).payload };
    }
  }
}

/** Thrown by the JWKS key function when the key server cannot be reached or answers nonsense. */
class KeysUnavailable extends Error {}

function jwksKey(url: URL, options: TokenVerifierOptions): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(url, {
    cooldownDuration: options.jwksCooldownMs ?? 30000,
    cacheMaxAge: options.jwksMaxAgeMs ?? 600000,
    timeoutDuration: JWKS_TIMEOUT_MS,
  });
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      const code = joseCode(error);
      if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS' || code === 'ERR_JOSE_NOT_SUPPORTED') throw error;
      throw new KeysUnavailable(error instanceof Error ? error.message : String(error));
    }
  };
}

/** jose's error code (ERR_JWT_EXPIRED…), read by name so it survives module duplication. */
function joseCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const REASONS: Readonly<Record<string, string>> = {
  ERR_JWT_EXPIRED: 'token expired',
  ERR_JOSE_ALG_NOT_ALLOWED: 'token algorithm not allowed',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'token signature invalid',
  ERR_JWS_INVALID: 'malformed token',
  ERR_JWT_INVALID: 'malformed token',
  ERR_JOSE_NOT_SUPPORTED: 'token algorithm not supported',
  ERR_JWKS_NO_MATCHING_KEY: 'no key matches the token',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'several keys match the token: set kid',
};

const CLAIM_REASONS: Readonly<Record<string, string>> = {
  nbf: 'token not yet valid',
  iss: 'unexpected token issuer',
  aud: 'unexpected token audience',
  iat: 'token issued in the future',
  exp: 'token expired',
};

function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof KeysUnavailable) return new GatewayError('auth_unavailable', 'signing keys unavailable, try again');
  const code = joseCode(error);
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    const claim = (error as { claim?: unknown }).claim;
    return new GatewayError('invalid_token', (typeof claim === 'string' && CLAIM_REASONS[claim]) || 'token claims invalid');
  }
  return new GatewayError('invalid_token', (code !== undefined && REASONS[code]) || 'invalid token');
}

function claimsOf(payload: JWTPayload): Claims {
  if (typeof payload.sub !== 'string' || payload.sub === '') throw new GatewayError('invalid_token', 'token has no sub');
  const sse = payload.sse;
  const rights = typeof sse === 'object' && sse !== null && !Array.isArray(sse) ? (sse as Record<string, unknown>) : {};
  return {
    subject: payload.sub,
    subscribe: patternsOf(rights.subscribe),
    publish: patternsOf(rights.publish),
    expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
  };
}

/** The strings of a claim array; anything else grants nothing. */
function patternsOf(value: unknown): readonly string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
