// scripts/build-if-stale.js, which `npm start` and `npm run token` run first, against real
// `tsc -b` builds of a scratch copy of the repository's layout: four tiny workspaces referencing
// each other as ours do (the client references nothing). The build is current after a build, and
// stays current when one workspace alone was rebuilt; only a workspace rebuilt after a project it
// references is stale. tsc -b never rewrites an up-to-date project's build info, so the client
// stays older than a rebuilt gateway for good: taken for staleness, every start would build.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/gateway';
import { scratchDir } from '../helpers/scratch';

jest.setTimeout(120000);

/** Each workspace of the scratch repository and what its tsconfig references, in build order. */
const WORKSPACES: Record<string, string[]> = {
  schemas: [],
  'publisher-sdk': ['schemas'],
  gateway: ['schemas', 'publisher-sdk'],
  client: [],
};

function run(cwd: string, command: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    execFile(command, args, { cwd, timeout: 60000 }, (error, _stdout, stderr) =>
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stderr }),
    );
  });
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

function scratchRepository(): string {
  const root = scratchDir('build-if-stale');
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  mkdirSync(join(root, 'scripts'));
  copyFileSync(join(ROOT, 'scripts', 'build-if-stale.js'), join(root, 'scripts', 'build-if-stale.js'));
  // What `npm run build` makes: tsc's output and the client's bundle.
  const bundle = `require('node:fs').writeFileSync('client/dist/browser.js', '')`;
  writeJson(join(root, 'package.json'), { private: true, scripts: { build: `tsc -b && node -e "${bundle}"` } });
  writeJson(join(root, 'tsconfig.base.json'), { compilerOptions: { composite: true, strict: true, target: 'ES2022', module: 'commonjs', types: [] } });
  writeJson(join(root, 'tsconfig.json'), { files: [], references: Object.keys(WORKSPACES).map((path) => ({ path })) });
  for (const [name, references] of Object.entries(WORKSPACES)) {
    mkdirSync(join(root, name, 'src'), { recursive: true });
    writeFileSync(join(root, name, 'src', 'index.ts'), 'export const version = 1;\n');
    // With a comment and a trailing comma, as a tsconfig may have them.
    const options = '{ "rootDir": "src", "outDir": "dist", "tsBuildInfoFile": "dist/.tsbuildinfo" }';
    const referenced = references.map((path) => `{ "path": "../${path}" }`).join(', ');
    writeFileSync(
      join(root, name, 'tsconfig.json'),
      `{\n  // ${name}\n  "extends": "../tsconfig.base.json",\n  "compilerOptions": ${options},\n  "include": ["src/**/*.ts"],\n  "references": [${referenced}],\n}\n`,
    );
  }
  return root;
}

/** Why build-if-stale built ('' when it found the build current); it builds when stale. */
async function staleness(root: string): Promise<string> {
  const { code, stderr } = await run(root, process.execPath, ['scripts/build-if-stale.js', '--verbose']);
  if (code !== 0) throw new Error(`build-if-stale exited ${code}: ${stderr}`);
  return stderr.trim();
}

async function build(root: string, args: string[] = []): Promise<void> {
  const { code, stderr } = await run(root, process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', ...args]);
  if (code !== 0) throw new Error(`tsc -b ${args.join(' ')} exited ${code}: ${stderr}`);
}

function edit(root: string, workspace: string, version: number): void {
  writeFileSync(join(root, workspace, 'src', 'index.ts'), `export const version = ${version};\n`);
}

test('a rebuilt workspace makes stale only the workspaces that reference it', async () => {
  const root = scratchRepository();
  expect(await staleness(root)).toMatch(/dist\/\.tsbuildinfo is missing: npm run build$/);
  expect(await staleness(root)).toBe('');

  // tsc -b rebuilds the gateway alone and leaves the client's build info as it was.
  edit(root, 'gateway', 2);
  await build(root);
  expect(await staleness(root)).toBe('');

  // The schemas rebuilt on their own: the publisher SDK (the first workspace referencing them) and
  // the gateway are behind.
  edit(root, 'schemas', 2);
  await build(root, ['schemas']);
  expect(await staleness(root)).toMatch(/publisher-sdk is older than \S+schemas, which it references: npm run build$/);
  expect(await staleness(root)).toBe('');
});
