// Which JWS algorithms a key may verify. Deriving the allowlist from the key itself (never from
// the token's header) is what closes algorithm confusion: an HS256 token signed with the bytes of
// a public key, or `alg: none`, is refused before any signature check. A secret verifies HS256
// only (hs256.ts).
import type { KeyObject } from 'node:crypto';

/** Every asymmetric algorithm a JWKS key may use; the key's own type then narrows it (jose does). */
export const ASYMMETRIC_ALGORITHMS: readonly string[] = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
];

const EC_CURVE_ALGORITHMS: Readonly<Record<string, string>> = {
  'prime256v1': 'ES256',
  'P-256': 'ES256',
  'secp384r1': 'ES384',
  'P-384': 'ES384',
  'secp521r1': 'ES512',
  'P-521': 'ES512',
};

/** RSA keys shorter than this are refused: 2048 bits is the floor of RFC 7518 §3.3. */
const MIN_RSA_BITS = 2048;

/**
 * The algorithms a public key verifies, or a reason it cannot be used.
 * RSA → RS256 and PS256; RSA-PSS → PS256; EC P-256/384/521 → ES256/384/512; Ed25519 → EdDSA.
 */
export function algorithmsForPublicKey(key: KeyObject): { algorithms: string[] } | { unsupported: string } {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss': {
      const bits = details.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS) return { unsupported: `RSA key of ${bits} bits (at least ${MIN_RSA_BITS} needed)` };
      return { algorithms: key.asymmetricKeyType === 'rsa' ? ['RS256', 'PS256'] : ['PS256'] };
    }
    case 'ec': {
      const algorithm = EC_CURVE_ALGORITHMS[details.namedCurve ?? ''];
      return algorithm ? { algorithms: [algorithm] } : { unsupported: `EC curve ${details.namedCurve ?? 'unknown'}` };
    }
    case 'ed25519':
      return { algorithms: ['EdDSA', 'Ed25519'] };
    default:
      return { unsupported: `${key.asymmetricKeyType ?? 'unknown'} key` };
  }
}
