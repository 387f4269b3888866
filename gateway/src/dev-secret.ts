// The development secret: when no JWT key is configured outside production, every gateway and
// `npm run token` of one user sign and verify with one random HS256 secret, kept in a file only
// that user can read. It is created by whichever starts first and reused by all the others, so
// two `npm start`s, `npm run demo` and `npm run token` agree in any order. Never a constant.
import { randomBytes } from 'node:crypto';
import { linkSync, lstatSync, mkdirSync, readFileSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const FILE_NAME = 'dev-secret';
/** 32 random bytes: the 256 bits HS256 needs. */
const SECRET_BYTES = 32;

/** The development secret cannot be used: its folder or file is unsafe, unreadable or not a secret. */
export class DevSecretError extends Error {
  override readonly name = 'DevSecretError';
}

interface DevSecret {
  secret: Uint8Array;
  /** Where it is kept. */
  file: string;
  /** True when this call made it (no development secret existed). */
  created: boolean;
}

interface DevSecretOptions {
  /** @default defaultDevSecretDir() */
  dir?: string;
  /** The user who must own the folder and the file. @default process.getuid() */
  uid?: number;
}

/** `<os tmpdir>/sse-gateway-<uid>`: per user, so two users of one machine never share a secret. */
export function defaultDevSecretDir(): string {
  const user = process.getuid?.() ?? userInfo().username;
  return join(tmpdir(), `sse-gateway-${user}`);
}

/**
 * The user's development secret from `<dir>/dev-secret`, made (0600, in a 0700 folder) when there
 * is none. Throws DevSecretError, with one line saying what to do, when the folder or the file is
 * not private to this user or the file does not hold a secret: those are refused, never repaired,
 * because a secret others could read or write is no secret.
 */
export function loadDevSecret({ dir = defaultDevSecretDir(), uid = process.getuid?.() }: DevSecretOptions = {}): DevSecret {
  ensurePrivateDir(dir, uid);
  const file = join(dir, FILE_NAME);
  const existing = readSecretFile(file, uid);
  if (existing !== undefined) return { secret: existing, file, created: false };
  if (createSecretFile(file)) return { secret: readSecretFile(file, uid)!, file, created: true };
  // Another process created it between our read and our link: use theirs.
  const theirs = readSecretFile(file, uid);
  if (theirs === undefined) throw new DevSecretError(`${file} vanished while it was being created; try again`);
  return { secret: theirs, file, created: false };
}

/** Creates `dir` as 0700, or accepts an existing one only when it is a real folder private to `uid`. */
function ensurePrivateDir(dir: string, uid: number | undefined): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw unusable(dir, error);
  }
  const stats = lstatSync(dir);
  if (!stats.isDirectory()) throw new DevSecretError(`${dir} is not a folder: remove it so the development secret can be kept there`);
  checkPrivate(dir, stats, uid, 'chmod 700');
}

/** The secret in `file`, or undefined when there is no such file. */
function readSecretFile(file: string, uid: number | undefined): Uint8Array | undefined {
  let stats: Stats;
  try {
    stats = lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unusable(file, error);
  }
  if (!stats.isFile()) throw new DevSecretError(`${file} is not a regular file: remove it to make a new development secret`);
  checkPrivate(file, stats, uid, 'chmod 600');
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw unusable(file, error);
  }
  const secret = new TextEncoder().encode(text);
  if (secret.length < SECRET_BYTES) {
    throw new DevSecretError(`${file} holds ${secret.length} bytes, not a development secret (at least ${SECRET_BYTES}): remove it to make a new one`);
  }
  return secret;
}

function checkPrivate(path: string, stats: Stats, uid: number | undefined, fix: string): void {
  if (uid !== undefined && stats.uid !== uid) {
    throw new DevSecretError(`${path} belongs to user ${stats.uid}, not to you (${uid}): remove it, or set JWT_SECRET`);
  }
  const mode = stats.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new DevSecretError(`${path} is open to other users (mode ${mode.toString(8)}): ${fix} ${path}, or remove it to make a new development secret`);
  }
}

/**
 * Writes a new secret to a private temporary file, then links it to `file`, which fails when the
 * file exists: whoever links first wins, and nobody ever reads a half-written secret.
 * Returns false when another process won.
 */
function createSecretFile(file: string): boolean {
  const text = randomBytes(SECRET_BYTES).toString('base64url');
  const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    // 43 base64url characters: the file's text is also a valid JWT_SECRET value.
    writeFileSync(partial, `${text}\n`, { mode: 0o600, flag: 'wx' });
    linkSync(partial, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw unusable(file, error);
  } finally {
    try {
      unlinkSync(partial);
    } catch {
      // never written
    }
  }
}

function unusable(path: string, error: unknown): DevSecretError {
  const code = (error as NodeJS.ErrnoException).code;
  return new DevSecretError(`${path} cannot be used (${code ?? (error as Error).message})`);
}
