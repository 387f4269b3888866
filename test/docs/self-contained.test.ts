// The repository's documents stand on their own: no tracked file points at a document that is not
// in the repository (the planning files that lived beside it, an issue tracker's numbers), every
// relative link of a Markdown file reaches a tracked file (and heading), and every setting the
// gateway reads is in the configuration reference.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { CONFIG_VARIABLES } from '../../gateway/src/config';
import { ROOT } from '../helpers/gateway';

/** Every tracked file (what a clone has), as git names it. */
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean)
  .filter((path) => existsSync(join(ROOT, path))); // deleted in the work tree, not yet committed

/** The tracked files with their text; binary files left out. */
function trackedTexts(): { path: string; text: string }[] {
  return tracked
    .map((path) => ({ path, bytes: readFileSync(join(ROOT, path)) }))
    .filter(({ bytes }) => !bytes.subarray(0, 8000).includes(0))
    .map(({ path, bytes }) => ({ path, text: bytes.toString('utf8') }));
}

// Written in pieces so that this file does not name what it forbids.
const md = '\\.md\\b';
const OUTSIDE: { what: string; pattern: RegExp }[] = [
  { what: 'the product contract file beside the repository', pattern: new RegExp(`\\bSPEC${md}`) },
  { what: 'the design notes beside the repository', pattern: new RegExp(`\\bARCHITECTURE${md}`) },
  { what: 'the toolchain notes beside the repository', pattern: new RegExp(`\\bTOOLCHAIN${md}`) },
  { what: 'the style notes beside the repository', pattern: new RegExp(`\\bSTYLE${md}`) },
  { what: 'the folder beside the repository', pattern: new RegExp(['\\.\\.', 'shared\\b'].join('/')) },
  { what: 'an issue number', pattern: new RegExp(['\\bissues?', '*(?:#|no\\.?\\s*|number\\s*)?\\d+'].join('\\s'), 'i') },
];

const files = trackedTexts();

test('the repository is read whole: sanity of the file list', () => {
  expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(['README.md', 'docs/configuration.md', 'gateway/src/config.ts']));
});

test('no tracked file refers to a document outside the repository or to an issue number', () => {
  const found = files.flatMap(({ path, text }) =>
    text.split('\n').flatMap((line, index) =>
      OUTSIDE.filter(({ pattern }) => pattern.test(line)).map(({ what }) => `${path}:${index + 1}: ${what}: ${line.trim().slice(0, 120)}`),
    ),
  );
  expect(found).toEqual([]);
});

test('the forbidden patterns catch what they are meant to', () => {
  const hits = (line: string): string[] => OUTSIDE.filter(({ pattern }) => pattern.test(line)).map(({ what }) => what);
  expect(hits(`see ${'SPEC'}.md, Configuration`)).toEqual(['the product contract file beside the repository']);
  expect(hits(`from \`${'..'}/shared/${'ARCHITECTURE'}.md\``)).toHaveLength(2);
  expect(hits(`the targets of ${'issue'} 7`)).toEqual(['an issue number']);
  expect(hits(`fixed in ${'Issue'} #12`)).toEqual(['an issue number']);
  expect(hits('a CSS colour #263241, an issuer, docs/stream-protocol.md')).toEqual([]);
});

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

test('every relative link of a Markdown file reaches a tracked file, and a heading there when it names one', () => {
  const paths = new Set(tracked);
  const texts = new Map(files.map((f) => [f.path, f.text]));
  const broken: string[] = [];
  for (const { path, text } of files.filter((f) => f.path.endsWith('.md'))) {
    // Links outside code blocks: [text](target) where target is not a URL.
    const prose = text.replace(/```[\s\S]*?```/g, '');
    for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target!)) continue;
      const [file, hash] = target!.split('#') as [string, string | undefined];
      const resolved = file === '' ? path : normalize(join(dirname(path), file));
      if (!paths.has(resolved) && !tracked.some((t) => t.startsWith(`${resolved}/`))) {
        broken.push(`${path}: ${target} (no such file)`);
        continue;
      }
      if (hash !== undefined && resolved.endsWith('.md')) {
        const headings = [...(texts.get(resolved) ?? '').matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1]!));
        if (!headings.includes(hash)) broken.push(`${path}: ${target} (no such heading)`);
      }
    }
  }
  expect(broken).toEqual([]);
});

test('docs/configuration.md describes every variable the gateway reads', () => {
  const reference = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
  const rows = new Set([...reference.matchAll(/^\| `([A-Z_0-9]+)` \|/gm)].map((m) => m[1]));
  expect(CONFIG_VARIABLES.filter((name) => !rows.has(name))).toEqual([]);
});
