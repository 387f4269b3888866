/**
 * Parses a URL option, refusing other schemes. Messages name the option and the expected form but
 * never echo the value: it may hold a password.
 */
export function urlOption(value: string, option: string, schemes: readonly string[], expected: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RangeError(`${option} is not a URL (expected ${expected})`);
  }
  if (!schemes.includes(url.protocol)) {
    throw new RangeError(`${option} must start with ${schemes.map((s) => `${s}//`).join(' or ')}, got ${url.protocol}//`);
  }
  return url;
}
