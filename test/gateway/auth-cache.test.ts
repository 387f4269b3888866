import { VerifiedTokenCache } from '../../gateway/src/auth/verified-token-cache';
import type { Claims } from '../../gateway/src/auth/claims';

const claims = (subject: string, expiresAt?: number): Claims => ({ subject, subscribe: [], publish: [], expiresAt });

describe('VerifiedTokenCache', () => {
  test('serves an entry until the token expires', () => {
    const cache = new VerifiedTokenCache(10, 60000);
    cache.set('t', claims('a', 5000), 1000);
    expect(cache.get('t', 4999)?.subject).toBe('a');
    expect(cache.get('t', 5000)).toBeUndefined();
    // An expired entry is dropped, not kept.
    expect(cache.size).toBe(0);
  });

  test('never longer than maxAgeMs, even for a token without exp', () => {
    const cache = new VerifiedTokenCache(10, 1000);
    cache.set('t', claims('a'), 0);
    expect(cache.get('t', 999)).toBeDefined();
    expect(cache.get('t', 1000)).toBeUndefined();
  });

  test('an already expired token is not stored', () => {
    const cache = new VerifiedTokenCache(10, 1000);
    cache.set('t', claims('a', 100), 100);
    expect(cache.size).toBe(0);
  });

  test('bounded: the least recently used entry leaves first', () => {
    const cache = new VerifiedTokenCache(2, 60000);
    cache.set('a', claims('a'), 0);
    cache.set('b', claims('b'), 0);
    expect(cache.get('a', 1)).toBeDefined();
    cache.set('c', claims('c'), 1);
    expect(cache.size).toBe(2);
    expect(cache.get('b', 2)).toBeUndefined();
    expect(cache.get('a', 2)).toBeDefined();
    expect(cache.get('c', 2)).toBeDefined();
  });

  test('size 0 disables it', () => {
    const cache = new VerifiedTokenCache(0, 60000);
    cache.set('a', claims('a'), 0);
    expect(cache.get('a', 0)).toBeUndefined();
  });
});
