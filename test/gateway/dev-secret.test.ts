// The development secret on a real file system: made once, reused, shared by concurrent starters,
// and refused (never repaired) when it is not private to its user.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DevSecretError, loadDevSecret } from '../../gateway/src/dev-secret';

const ROOT = resolve(__dirname, '../..');
let scratch: string;
let count = 0;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'dev-secret-test-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A path for a folder that does not exist yet. */
function freshDir(): string {
  return join(scratch, `dir-${++count}`);
}

/** A 0700 folder holding `content` as its dev-secret file with `mode`. */
function dirWithFile(content: string, mode: number): { dir: string; file: string } {
  const dir = freshDir();
  mkdirSync(dir, { mode: 0o700 });
  const file = join(dir, 'dev-secret');
  writeFileSync(file, content, { mode });
  chmodSync(file, mode);
  return { dir, file };
}

function refusal(dir: string, uid?: number): DevSecretError {
  try {
    loadDevSecret({ dir, uid });
  } catch (error) {
    if (error instanceof DevSecretError) return error;
    throw error;
  }
  throw new Error(`no DevSecretError for ${dir}`);
}

const A_SECRET = 'Vq3nD0cYx9kS2mLwH7tR1pZ8aE5uB4gJ6fK0oN3iQ2c';

test('made once (0600 file in a 0700 folder), then reused as it is', () => {
  const dir = freshDir();
  const first = loadDevSecret({ dir });
  expect(first).toMatchObject({ file: join(dir, 'dev-secret'), created: true });
  expect(first.secret.length).toBeGreaterThanOrEqual(32);
  expect(statSync(first.file).mode & 0o777).toBe(0o600);
  expect(statSync(dir).mode & 0o777).toBe(0o700);
  // The file's text is the secret, so it also works as JWT_SECRET.
  expect(readFileSync(first.file, 'utf8').trim()).toBe(new TextDecoder().decode(first.secret));

  const second = loadDevSecret({ dir });
  expect(second.created).toBe(false);
  expect(Buffer.from(second.secret).equals(Buffer.from(first.secret))).toBe(true);
  expect(readdirNames(dir)).toEqual(['dev-secret']); // no temporary file left behind
});

test('an existing private secret is used as written', () => {
  const { dir } = dirWithFile(`${A_SECRET}\n`, 0o600);
  expect(new TextDecoder().decode(loadDevSecret({ dir }).secret)).toBe(A_SECRET);
});

test('processes starting at the same moment all end up with the one secret, made by exactly one of them', async () => {
  const dir = freshDir();
  const go = join(scratch, `go-${count}`);
  // Each child spins until the go file appears, so they all reach the empty folder together.
  const script = `const { existsSync } = require('node:fs');
const { loadDevSecret } = require(${JSON.stringify(join(ROOT, 'gateway/dist/dev-secret.js'))});
process.stdout.write('ready\\n');
const deadline = Date.now() + 10000;
while (!existsSync(${JSON.stringify(go)}) && Date.now() < deadline);
const { secret, created } = loadDevSecret({ dir: ${JSON.stringify(dir)} });
process.stdout.write(JSON.stringify({ secret: Buffer.from(secret).toString('hex'), created }));`;
  const children = Array.from({ length: 8 }, () => runNode(script));
  await Promise.all(children.map((child) => child.ready));
  writeFileSync(go, '');
  const results = (await Promise.all(children.map((child) => child.output))).map((output) => JSON.parse(output.split('\n')[1]!) as { secret: string; created: boolean });
  expect(new Set(results.map((r) => r.secret)).size).toBe(1);
  expect(results.filter((r) => r.created)).toHaveLength(1);
  expect(readdirNames(dir)).toEqual(['dev-secret']);
});

describe('refused with one line that says what to do, and left untouched', () => {
  test('a file others may read', () => {
    const { dir, file } = dirWithFile(A_SECRET, 0o640);
    const error = refusal(dir);
    expect(error.message).toBe(`${file} is open to other users (mode 640): chmod 600 ${file}, or remove it to make a new development secret`);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readFileSync(file, 'utf8')).toBe(A_SECRET);
  });

  test('a folder others may enter', () => {
    const dir = freshDir();
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    expect(refusal(dir).message).toBe(`${dir} is open to other users (mode 755): chmod 700 ${dir}, or remove it to make a new development secret`);
    expect(statSync(dir).mode & 0o777).toBe(0o755);
  });

  test('a file or folder that belongs to another user', () => {
    const { dir } = dirWithFile(A_SECRET, 0o600);
    const other = process.getuid!() + 1;
    expect(refusal(dir, other).message).toMatch(new RegExp(`^${dir} belongs to user ${process.getuid!()}, not to you \\(${other}\\): remove it, or set JWT_SECRET$`));
  });

  test('a symbolic link instead of the file', () => {
    const { file: target } = dirWithFile(A_SECRET, 0o600);
    const dir = freshDir();
    mkdirSync(dir, { mode: 0o700 });
    symlinkSync(target, join(dir, 'dev-secret'));
    expect(refusal(dir).message).toMatch(/dev-secret is not a regular file: remove it to make a new development secret$/);
  });

  test('a file too short to be a secret', () => {
    const { dir } = dirWithFile('\n', 0o600);
    expect(refusal(dir).message).toMatch(/dev-secret holds 0 bytes, not a development secret \(at least 32\): remove it to make a new one$/);
  });

  test('a file where the folder should be', () => {
    const path = join(scratch, `file-${++count}`);
    writeFileSync(path, 'x');
    expect(refusal(path).message).toMatch(/is not a folder: remove it so the development secret can be kept there$/);
    expect(readFileSync(path, 'utf8')).toBe('x');
  });

  test('no message carries the secret or spans lines', () => {
    const { dir } = dirWithFile(A_SECRET, 0o644);
    const message = refusal(dir).message;
    expect(message).not.toContain(A_SECRET);
    expect(message).not.toContain('\n');
  });
});

function readdirNames(dir: string): string[] {
  return readdirSync(dir).sort();
}

/** A node process running `script`: `ready` once it prints its first line, `output` all it printed when it exits 0. */
function runNode(script: string): { ready: Promise<void>; output: Promise<string> } {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onReady = (): void => {};
  const ready = new Promise<void>((resolveReady) => (onReady = resolveReady));
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes('\n')) onReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const output = new Promise<string>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`node exited ${code}: ${err}`))));
  });
  // A child that dies before its first line must not leave `ready` pending forever.
  void output.then(onReady, onReady);
  return { ready, output };
}
