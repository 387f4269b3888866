import { SignJWT } from 'jose';

/** A secret long enough for HS256 (32 bytes), the same for every test gateway. */
export const TEST_JWT_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';

export interface TestClaims {
  sub?: string;
  subscribe?: string[];
  publish?: string[];
  /** Seconds from now. @default 3600 */
  ttlS?: number;
}

/** An HS256 token signed with TEST_JWT_SECRET (or `secret`). */
export function mintToken(claims: TestClaims = {}, secret = TEST_JWT_SECRET): Promise<string> {
  const { sub = 'tester', subscribe = ['*'], publish = [], ttlS = 3600 } = claims;
  return new SignJWT({ sse: { subscribe, publish } })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlS)
    .sign(new TextEncoder().encode(secret));
}
