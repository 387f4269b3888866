import { SignJWT } from 'jose';

/** A secret long enough for HS256 (32 bytes), the same for every test gateway. */
export const TEST_JWT_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';

export interface TestClaims {
  sub?: string;
  subscribe?: string[];
  publish?: string[];
  /** Seconds from now. @default 3600 */
  ttlS?: number;
  /** A `jti`: makes the token distinct from any other with the same claims (no verification cache hit). */
  jti?: string;
}

/** An HS256 token signed with TEST_JWT_SECRET (or `secret`). */
export function mintToken(claims: TestClaims = {}, secret = TEST_JWT_SECRET): Promise<string> {
  const { sub = 'tester', subscribe = ['*'], publish = [], ttlS = 3600, jti } = claims;
  return new SignJWT({ sse: { subscribe, publish }, ...(jti === undefined ? {} : { jti }) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlS)
    .sign(new TextEncoder().encode(secret));
}
