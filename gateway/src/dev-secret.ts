// The per-run development secret: when no JWT key is configured outside production, the gateway
// signs with a fresh random HS256 secret and leaves it in a file only its user can read, so that
// `npm run token` (another process) can mint tokens the running gateway accepts. Never a constant.
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const FILE_NAME = 'dev-secret';
/** 32 random bytes: the 256 bits HS256 needs. */
const SECRET_BYTES = 32;

/** `<os tmpdir>/sse-gateway-<uid>`: per user, so two users of one machine never share a secret. */
export function defaultDevSecretDir(): string {
  const user = process.getuid?.() ?? userInfo().username;
  return join(tmpdir(), `sse-gateway-${user}`);
}

export function devSecretFile(dir: string = defaultDevSecretDir()): string {
  return join(dir, FILE_NAME);
}

/**
 * Generates a new secret and stores it in `<dir>/dev-secret` (file 0600, folder 0700).
 * The secret is the UTF-8 bytes of 43 base64url characters, so the file's content is also a valid
 * `JWT_SECRET` value. Throws a plain Error when the folder is unsafe or cannot be written.
 */
export function writeDevSecret(dir: string = defaultDevSecretDir()): { secret: Uint8Array; file: string } {
  ensurePrivateDir(dir);
  const text = randomBytes(SECRET_BYTES).toString('base64url');
  const file = devSecretFile(dir);
  // Write then rename: a concurrent `npm run token` never reads a half-written file.
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, `${text}\n`, { mode: 0o600, flag: 'w' });
  chmodSync(partial, 0o600);
  renameSync(partial, file);
  return { secret: new TextEncoder().encode(text), file };
}

/** The secret a running development gateway wrote, or undefined when there is no such file. */
export function readDevSecret(file: string = devSecretFile()): Uint8Array | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return text === '' ? undefined : new TextEncoder().encode(text);
}

/**
 * Creates `dir` as 0700, or accepts an existing one only when it is a real folder owned by this
 * user (another user could otherwise pre-create it in the shared tmpdir and read the secret).
 */
function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const stats = lstatSync(dir);
  if (!stats.isDirectory()) throw new Error(`${dir} exists and is not a folder`);
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) throw new Error(`${dir} belongs to another user`);
  if ((stats.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}
