// The gateway's inline HS256 check (gateway/src/auth/hs256.ts) against jose's jwtVerify, the
// implementation it replaces on the hot path: on signed, tampered and arbitrary tokens both give
// the same verdict and the same payload, at the same instant. The one allowed difference is the
// documented strictness: a part jose decodes leniently (padding or whitespace in the header or
// payload, a signature not in its canonical base64url) is refused inline.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { jwtVerify, type JWTPayload } from 'jose';
import { hs256Key, verifyHs256, type Hs256Expectations } from '../../gateway/src/auth/hs256';
import { runs } from '../helpers/property';

const SECRET = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
const OTHER_SECRET = new TextEncoder().encode('fedcba9876543210fedcba9876543210');
const KEY = hs256Key(SECRET);
const NOW_S = Math.floor(Date.now() / 1000);
const ISSUER = 'https://issuer.test';
const AUDIENCE = 'sse-gateway';

const b64url = (text: string): string => Buffer.from(text).toString('base64url');

function signed(header: unknown, payload: unknown, secret: Uint8Array): string {
  return sign(`${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`, secret);
}

function sign(input: string, secret: Uint8Array): string {
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const around = (spread: number): fc.Arbitrary<number> => fc.integer({ min: -spread, max: spread }).map((s) => NOW_S + s);
const future = fc.integer({ min: 1, max: 600 }).map((s) => NOW_S + s);
const past = fc.integer({ min: 0, max: 600 }).map((s) => NOW_S - s);
/** Mostly a time that passes the check, often one at the edge, sometimes anything. */
const time = (good: fc.Arbitrary<number>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 6, arbitrary: good }, { weight: 2, arbitrary: around(2) }, { weight: 1, arbitrary: claimValue });
const claimValue = fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constantFrom(ISSUER, AUDIENCE, [AUDIENCE, 'x'], ['x'], NOW_S, String(NOW_S + 60)));
const payload = fc.record(
  {
    sub: fc.oneof(fc.string({ maxLength: 8 }), claimValue),
    exp: time(future),
    nbf: time(past),
    iat: time(past),
    iss: fc.oneof({ weight: 3, arbitrary: fc.constant(ISSUER) }, { weight: 1, arbitrary: claimValue }),
    aud: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(AUDIENCE, [AUDIENCE], ['other', AUDIENCE]) }, { weight: 1, arbitrary: claimValue }),
    sse: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);
const header = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ alg: 'HS256', typ: 'JWT' }) },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        alg: fc.oneof(fc.constantFrom('HS256', 'HS384', 'none', 'RS256', ''), claimValue),
        typ: fc.constantFrom('JWT', 'at+jwt'),
        crit: fc.oneof(fc.constantFrom(['b64'], [], ['exp'], ['b64', 'b64'], [''], 'b64'), claimValue),
        b64: fc.oneof(fc.boolean(), claimValue),
        kid: fc.string({ maxLength: 4 }),
      },
      { requiredKeys: ['alg'] },
    ),
  },
  { weight: 1, arbitrary: claimValue },
);
const secret = fc.oneof({ weight: 5, arbitrary: fc.constant(SECRET) }, { weight: 1, arbitrary: fc.constant(OTHER_SECRET) });
const tokenChar = fc.constantFrom(...'AQgwBb09_-.=+/ é');
type Edit = [at: number | 'end', edit: 'replace' | 'insert' | 'delete', char: string];
const edits = fc.array(
  fc.tuple(fc.oneof(fc.nat(), fc.constant('end' as const)), fc.constantFrom('replace' as const, 'insert' as const, 'delete' as const), tokenChar),
  { minLength: 1, maxLength: 2 },
);

function edited(text: string, changes: readonly Edit[]): string {
  let result = text;
  for (const [at, edit, char] of changes) {
    const i = at === 'end' ? result.length : at % (result.length + 1);
    if (edit === 'replace') result = result.slice(0, i) + char + result.slice(i + 1);
    else if (edit === 'insert') result = result.slice(0, i) + char + result.slice(i);
    else result = result.slice(0, i) + result.slice(i + 1);
  }
  return result;
}

/**
 * A token as a client could send it: signed, then perhaps tampered with; or with its header or
 * payload part edited before signing, so that the signature holds and the decoding of the edited
 * part is what both sides must judge alike (an edit at a part's end keeps its JSON whole).
 */
const token = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(header, payload, secret, fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: edits }))
      .map(([h, p, s, changes]) => edited(signed(h, p, s), changes)),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(header, payload, fc.boolean(), edits).map(([h, p, inHeader, changes]) => {
      const [headerPart, payloadPart] = [b64url(JSON.stringify(h)), b64url(JSON.stringify(p))];
      return sign(inHeader ? `${edited(headerPart, changes)}.${payloadPart}` : `${headerPart}.${edited(payloadPart, changes)}`, SECRET);
    }),
  },
);
const expectations = fc.constantFrom<Hs256Expectations>(
  { issuer: undefined, audience: undefined },
  { issuer: ISSUER, audience: undefined },
  { issuer: ISSUER, audience: AUDIENCE },
);

/** A refusal: jose's error code for the check that failed, and the claim it was about. */
class Refused {
  constructor(
    readonly code: string,
    readonly claim: string | undefined,
  ) {}
}

function inline(jwt: string, expected: Hs256Expectations): JWTPayload | Refused {
  try {
    return verifyHs256(jwt, KEY, expected, NOW_S);
  } catch (error) {
    const { code, claim } = error as { code?: unknown; claim?: unknown };
    if (!(error instanceof Error) || typeof code !== 'string') throw error;
    return new Refused(code, typeof claim === 'string' ? claim : undefined);
  }
}

async function jose(jwt: string, expected: Hs256Expectations): Promise<JWTPayload | undefined> {
  const options = {
    algorithms: ['HS256'],
    currentDate: new Date(NOW_S * 1000),
    ...(expected.issuer === undefined ? {} : { issuer: expected.issuer }),
    ...(expected.audience === undefined ? {} : { audience: expected.audience }),
  };
  try {
    return (await jwtVerify(jwt, SECRET, options)).payload;
  } catch {
    return undefined;
  }
}

/** What only the inline check refuses: a header or payload part beyond unpadded base64url, or a signature not in its canonical spelling. */
function lenientlyDecodedByJose(jwt: string): boolean {
  const parts = jwt.split('.');
  const signature = parts.pop() ?? '';
  return parts.some((part) => !/^[A-Za-z0-9_-]*$/.test(part)) || Buffer.from(signature, 'base64url').toString('base64url') !== signature;
}

test('inline HS256 and jose agree on every token', async () => {
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(token, expectations, async (jwt, expected) => {
      const ours = inline(jwt, expected);
      const theirs = await jose(jwt, expected);
      if (ours instanceof Refused) {
        if (theirs !== undefined) expect(lenientlyDecodedByJose(jwt)).toBe(true);
        return;
      }
      accepted++;
      expect(ours).toEqual(theirs);
    }),
    runs(3000),
  );
  // The generator must reach acceptance often enough for the agreement to mean something.
  expect(accepted).toBeGreaterThan(200);
});

test('the failures name the check, in jose terms', () => {
  const none: Hs256Expectations = { issuer: undefined, audience: undefined };
  const good = { sub: 'a', exp: NOW_S + 60 };
  const code = (jwt: string, expected = none): string | undefined => {
    const result = inline(jwt, expected);
    return result instanceof Refused ? `${result.code}${result.claim === undefined ? '' : `:${result.claim}`}` : undefined;
  };
  expect(code(signed({ alg: 'HS256' }, good, SECRET))).toBeUndefined();
  expect(code('a.b')).toBe('ERR_JWS_INVALID');
  expect(code(sign(`${b64url('{"alg":"HS256"}')}A.${b64url(JSON.stringify(good))}`, SECRET))).toBe('ERR_JWS_INVALID');
  expect(code(signed({ alg: 'HS384' }, good, SECRET))).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
  expect(code(signed({ alg: 'HS256', crit: ['exp'], exp: 1 }, good, SECRET))).toBe('ERR_JOSE_NOT_SUPPORTED');
  // jose checks `crit` before `alg`, walking the names in order, and `b64: false` after the signature.
  expect(code(signed({ alg: 'HS384', crit: ['exp'] }, good, SECRET))).toBe('ERR_JOSE_NOT_SUPPORTED');
  expect(code(signed({ alg: 'HS256', crit: ['b64', 'exp'] }, good, SECRET))).toBe('ERR_JWS_INVALID');
  expect(code(signed({ alg: 'HS256', crit: ['b64'], b64: false }, good, OTHER_SECRET))).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  expect(code(signed({ alg: 'HS256', crit: ['b64'], b64: false }, good, SECRET))).toBe('ERR_JWT_INVALID');
  expect(code(signed({ alg: 'HS256' }, good, OTHER_SECRET))).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  expect(code(signed({ alg: 'HS256' }, [good], SECRET))).toBe('ERR_JWT_INVALID');
  expect(code(signed({ alg: 'HS256' }, { ...good, exp: NOW_S }, SECRET))).toBe('ERR_JWT_EXPIRED:exp');
  expect(code(signed({ alg: 'HS256' }, { ...good, nbf: NOW_S + 1 }, SECRET))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED:nbf');
  expect(code(signed({ alg: 'HS256' }, { ...good, iat: 'now' }, SECRET))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED:iat');
  expect(code(signed({ alg: 'HS256' }, good, SECRET), { issuer: ISSUER, audience: AUDIENCE })).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED:iss');
  expect(code(signed({ alg: 'HS256' }, { ...good, iss: ISSUER }, SECRET), { issuer: ISSUER, audience: AUDIENCE })).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED:aud');
  // Both present first, then their values.
  expect(code(signed({ alg: 'HS256' }, { ...good, iss: 'other' }, SECRET), { issuer: ISSUER, audience: AUDIENCE })).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED:aud');
});
