// Where a request carries its token. First match wins: the Authorization header (API clients),
// the `sse_token` cookie (same-site pages), the `access_token` query parameter (browsers'
// EventSource cannot send headers). The token is returned, never logged.
import type { IncomingHttpHeaders } from 'node:http';

export const TOKEN_COOKIE = 'sse_token';
const TOKEN_QUERY_PARAMETER = 'access_token';

export function readToken(headers: IncomingHttpHeaders, query: URLSearchParams): string | undefined {
  return fromAuthorization(headers.authorization) ?? fromCookie(headers.cookie) ?? nonEmpty(query.get(TOKEN_QUERY_PARAMETER));
}

function fromAuthorization(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  // The scheme is case-insensitive (RFC 9110 §11.1); any other scheme is not ours.
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

function fromCookie(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== TOKEN_COOKIE) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    const token = safeDecode(value);
    if (token) return token;
  }
  return undefined;
}

function safeDecode(value: string): string | undefined {
  try {
    return nonEmpty(decodeURIComponent(value));
  } catch {
    return undefined;
  }
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : value;
}
