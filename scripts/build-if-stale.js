#!/usr/bin/env node
// @ts-check
// Runs `npm run build` only when what it makes may be out of date, so `npm run token` and
// `npm start` skip the ~1–2 s it takes TypeScript just to load and find nothing to do.
// Plain JavaScript on purpose: it must run before anything is compiled.
//
// Out of date means, for any workspace of the root tsconfig.json: no dist/.tsbuildinfo; a build
// info written by another TypeScript version or recording errors (tsc -b writes it even when the
// build failed); a file or folder under the workspace's src/ (or a tsconfig) newer than its build
// info; or a build info older than that of a project its tsconfig references (tsc -b rewrites a
// build info when a project it references was rebuilt, and never an up-to-date project's, so only
// references count: the client, which references nothing, stays older than a rebuilt gateway);
// or a bundle of BUNDLES missing or older than its sources. Folders count because deleting a file
// changes only its folder's time.
// When in doubt it builds: a needless build costs seconds, a stale one costs confusion.
'use strict';
const { spawnSync } = require('node:child_process');
const { readdirSync, readFileSync, statSync } = require('node:fs');
const { join, resolve } = require('node:path');

const ROOT = join(__dirname, '..');
/** Keys a build info has only when its build is unfinished or failed. */
const UNCLEAN_KEYS = ['semanticDiagnosticsPerFile', 'emitDiagnosticsPerFile', 'affectedFilesPendingEmit', 'changeFileSet', 'pendingEmit', 'errors', 'checkPending'];
/** What `npm run build` makes besides tsc's output, and from which sources. */
const BUNDLES = [{ output: 'client/dist/browser.js', sources: 'client/src' }];
/** Bounds the walk: the workspaces' sources are a few hundred files. */
const MAX_ENTRIES = 20000;

/**
 * The folders of the projects `dir`'s tsconfig.json references (for the root: the workspaces).
 * @param {string} dir
 * @returns {string[]}
 */
function references(dir) {
  // TypeScript's reader: a tsconfig may hold comments and trailing commas. Loaded here, so that
  // without it the check cannot tell and builds (and the build says what is missing).
  const ts = require('typescript');
  const file = join(dir, 'tsconfig.json');
  /** @type {{ config?: { references?: { path: string }[] }, error?: import('typescript').Diagnostic }} */
  const { config, error } = ts.readConfigFile(file, ts.sys.readFile);
  if (error !== undefined) throw new Error(`${file}: ${ts.flattenDiagnosticMessageText(error.messageText, ' ')}`);
  return (config?.references ?? []).map((reference) => resolve(dir, reference.path));
}

/**
 * The newest modification time (ms) of `dir` and everything under it.
 * @param {string} dir
 * @param {{ count: number }} budget
 * @returns {number}
 */
function newestUnder(dir, budget) {
  let newest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (++budget.count > MAX_ENTRIES) throw new Error(`more than ${MAX_ENTRIES} files under the sources`);
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(path, budget) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Why the build is stale, or undefined when it is current.
 * @returns {string | undefined}
 */
function staleness() {
  const typescript = JSON.parse(readFileSync(require.resolve('typescript/package.json', { paths: [ROOT] }), 'utf8')).version;
  const base = statSync(join(ROOT, 'tsconfig.base.json')).mtimeMs;
  const budget = { count: 0 };
  /** @type {Map<string, number>} build time of each workspace checked so far (references come first) */
  const built = new Map();
  for (const dir of references(ROOT)) {
    const infoFile = join(dir, 'dist', '.tsbuildinfo');
    let info;
    try {
      info = { text: readFileSync(infoFile, 'utf8'), mtimeMs: statSync(infoFile).mtimeMs };
    } catch {
      return `${infoFile} is missing`;
    }
    /** @type {Record<string, unknown>} */
    const parsed = JSON.parse(info.text);
    if (parsed.version !== typescript) return `${infoFile} was written by TypeScript ${String(parsed.version)}`;
    if (UNCLEAN_KEYS.some((key) => key in parsed)) return `${infoFile} records an unfinished or failed build`;
    const newestInput = Math.max(base, statSync(join(dir, 'tsconfig.json')).mtimeMs, newestUnder(join(dir, 'src'), budget));
    if (newestInput > info.mtimeMs) return `${dir} changed since its last build`;
    for (const reference of references(dir)) {
      const builtAt = built.get(reference);
      if (builtAt === undefined) return `${dir} references ${reference}, not a workspace listed before it`;
      if (builtAt > info.mtimeMs) return `${dir} is older than ${reference}, which it references`;
    }
    built.set(dir, info.mtimeMs);
  }
  for (const bundle of BUNDLES) {
    const output = join(ROOT, bundle.output);
    let madeAt;
    try {
      madeAt = statSync(output).mtimeMs;
    } catch {
      return `${output} is missing`;
    }
    if (newestUnder(join(ROOT, bundle.sources), budget) > madeAt) return `${output} is older than its sources`;
  }
  return undefined;
}

function main() {
  let why;
  try {
    why = staleness();
  } catch (error) {
    why = `could not tell (${error instanceof Error ? error.message : String(error)})`;
  }
  if (why === undefined) return;
  if (process.argv.includes('--verbose')) process.stderr.write(`build-if-stale: ${why}: npm run build\n`);
  // npm's own build script, so the build is defined in one place (package.json). Its output goes
  // to stderr: stdout may be captured, as in TOKEN=$(npm run -s token …).
  const result = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: ['inherit', 2, 2] });
  process.exitCode = result.status ?? 1;
}

main();
