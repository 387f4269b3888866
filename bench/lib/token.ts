// HS256 JWTs for the benchmark's subscribers and HTTP publisher, signed with node:crypto (a few µs
// each, so every connection can carry its own token and the gateway verifies each one for real).
import { createHmac } from 'node:crypto';

interface BenchClaims {
  sub: string;
  subscribe?: string[];
  publish?: string[];
  ttlS?: number;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

export function mintToken(secret: string, claims: BenchClaims): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    sub: claims.sub,
    iat: now,
    exp: now + (claims.ttlS ?? 3600),
    sse: { subscribe: claims.subscribe ?? [], publish: claims.publish ?? [] },
  };
  const body = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}
