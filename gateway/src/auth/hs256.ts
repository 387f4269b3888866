// HS256 verified in the calling thread with node:crypto. jose 6 verifies through WebCrypto, where
// every HMAC is a job queued to libuv's pool and a promise resolved on the way back; at a connect
// burst that hop was the largest single item of the gateway's profile (see docs/decisions.md).
// An HMAC-SHA256 over a few hundred bytes takes microseconds inline.
//
// The checks are jose's jwtVerify with the options the gateway uses, in its order: compact form,
// a JSON object header that names no `crit` extension but `b64` and whose `alg` is HS256, the
// signature, a JSON object payload, `iss` and `aud` when configured (both present, then their
// values), then `iat`/`nbf`/`exp` (numbers when present; `nbf` not in the future, `exp` not
// reached). Stricter in one respect: a part must be unpadded base64url and the signature its
// canonical spelling (RFC 7515 allows no other; jose's decoder, atob, forgives padding and
// whitespace, and stray low bits in the signature). Neither takes a part of 4n+1 characters: its
// last one encodes no whole byte, and atob refuses it where Buffer would drop it.
// test/fuzz/hs256.test.ts holds the two to the same verdict on tampered, re-signed and arbitrary
// tokens. Failures carry jose's error codes, so one mapping (token-verifier.ts) words them all.
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { JWTPayload } from 'jose';

/** A failed check, with the jose error code (and claim) it stands for; read by code, as jose's errors are. */
class TokenRejected extends Error {
  constructor(
    readonly code: string,
    readonly claim?: string,
  ) {
    super(code);
  }
}

export interface Hs256Expectations {
  issuer: string | undefined;
  audience: string | undefined;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

export function hs256Key(secret: Uint8Array): KeyObject {
  return createSecretKey(secret);
}

/** The payload of `token` when it passes every check at `nowS` (epoch seconds); else throws TokenRejected. */
export function verifyHs256(token: string, key: KeyObject, expect: Hs256Expectations, nowS: number): JWTPayload {
  const firstDot = token.indexOf('.');
  const secondDot = token.indexOf('.', firstDot + 1);
  if (firstDot < 0 || secondDot < 0 || token.indexOf('.', secondDot + 1) >= 0) throw new TokenRejected('ERR_JWS_INVALID');
  const headerPart = token.slice(0, firstDot);
  const payloadPart = token.slice(firstDot + 1, secondDot);
  const signaturePart = token.slice(secondDot + 1);
  if (!isBase64url(headerPart) || !isBase64url(payloadPart) || !isBase64url(signaturePart)) throw new TokenRejected('ERR_JWS_INVALID');

  const header = jsonObject(headerPart, 'ERR_JWS_INVALID');
  const encodedPayload = checkCrit(header);
  if (typeof header.alg !== 'string' || header.alg === '') throw new TokenRejected('ERR_JWS_INVALID');
  if (header.alg !== 'HS256') throw new TokenRejected('ERR_JOSE_ALG_NOT_ALLOWED');

  // Compared as text against the canonical encoding: one accepted spelling per signature.
  const expected = createHmac('sha256', key).update(token.slice(0, secondDot)).digest('base64url');
  if (signaturePart.length !== expected.length || !timingSafeEqual(Buffer.from(signaturePart), Buffer.from(expected))) {
    throw new TokenRejected('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  }

  if (!encodedPayload) throw new TokenRejected('ERR_JWT_INVALID');
  const payload = jsonObject(payloadPart, 'ERR_JWT_INVALID');
  checkClaims(payload, expect, nowS);
  return payload;
}

/**
 * jose's rule: `crit` may name only `b64`, which must then be present; returns `b64` (whether the
 * payload is base64url-encoded: `false` is no JWT, which jose says only once the signature holds).
 */
function checkCrit(header: Record<string, unknown>): boolean {
  const { crit } = header;
  if (crit === undefined) return true;
  if (!Array.isArray(crit) || crit.length === 0 || crit.some((name) => typeof name !== 'string' || name === '')) throw new TokenRejected('ERR_JWS_INVALID');
  for (const name of crit) {
    if (name !== 'b64') throw new TokenRejected('ERR_JOSE_NOT_SUPPORTED');
    if (header.b64 === undefined) throw new TokenRejected('ERR_JWS_INVALID');
  }
  if (typeof header.b64 !== 'boolean') throw new TokenRejected('ERR_JWS_INVALID');
  return header.b64;
}

function checkClaims(payload: JWTPayload, expect: Hs256Expectations, nowS: number): void {
  // jose first asks that both be present, then compares them.
  if (expect.issuer !== undefined && payload.iss === undefined) throw new TokenRejected('ERR_JWT_CLAIM_VALIDATION_FAILED', 'iss');
  if (expect.audience !== undefined && payload.aud === undefined) throw new TokenRejected('ERR_JWT_CLAIM_VALIDATION_FAILED', 'aud');
  if (expect.issuer !== undefined && payload.iss !== expect.issuer) throw new TokenRejected('ERR_JWT_CLAIM_VALIDATION_FAILED', 'iss');
  if (expect.audience !== undefined && !hasAudience(payload.aud, expect.audience)) throw new TokenRejected('ERR_JWT_CLAIM_VALIDATION_FAILED', 'aud');
  numericDate(payload, 'iat');
  const nbf = numericDate(payload, 'nbf');
  if (nbf !== undefined && nbf > nowS) throw new TokenRejected('ERR_JWT_CLAIM_VALIDATION_FAILED', 'nbf');
  const exp = numericDate(payload, 'exp');
  if (exp !== undefined && exp <= nowS) throw new TokenRejected('ERR_JWT_EXPIRED', 'exp');
}

function hasAudience(aud: unknown, audience: string): boolean {
  if (typeof aud === 'string') return aud === audience;
  return Array.isArray(aud) && aud.includes(audience);
}

function numericDate(payload: JWTPayload, claim: 'iat' | 'nbf' | 'exp'): number | undefined {
  const value: unknown = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw new TokenRejected('ERR_JWT_CLAIM_VALIDATION_FAILED', claim);
  return value;
}

function isBase64url(part: string): boolean {
  return part.length % 4 !== 1 && BASE64URL.test(part);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function jsonObject(part: string, code: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(Buffer.from(part, 'base64url')));
  } catch {
    throw new TokenRejected(code);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TokenRejected(code);
  return value as Record<string, unknown>;
}
