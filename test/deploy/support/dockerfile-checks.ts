// The rules for the Dockerfile: a pinned Node 20 base, a build stage with dev dependencies and a
// runtime with production ones only, non-root, NODE_ENV=production, a HEALTHCHECK on a real
// route, SIGTERM reaching Node through an init, the command the gateway package declares, and
// COPY sources that exist and are not excluded by .dockerignore.
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { PROBE_PATHS } from './gateway-facts';

export interface Instruction {
  keyword: string;
  args: string;
}
export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Instructions grouped by stage; ARGs before the first FROM are returned apart. */
export function parseDockerfile(text: string): { globalArgs: Map<string, string>; stages: Stage[] } {
  const logical = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const [from = '', as, name] = args.split(/\s+/);
      stages.push({ from, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length === 0 && upper === 'ARG') {
      const [name = '', value = ''] = args.split(/=(.*)/s);
      globalArgs.set(name, value);
    } else {
      stages.at(-1)?.instructions.push({ keyword: upper, args });
    }
  }
  return { globalArgs, stages };
}

const execForm = (args: string): string[] | undefined => {
  try {
    const value: unknown = JSON.parse(args);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
};

/** Problems of the Dockerfile in `root` (with its .dockerignore and gateway/package.json). */
export function checkDockerfile(text: string, root: string, dockerignore: string): string[] {
  const problems: string[] = [];
  const { globalArgs, stages } = parseDockerfile(text);
  const image = (from: string): string => from.replace(/^\$\{?(\w+)\}?$/, (_m, name: string) => globalArgs.get(name) ?? from);
  stages.forEach((stage, index) => {
    const earlierStage = stages.slice(0, index).some((s) => s.name === stage.from);
    if (!earlierStage && !/^node:20\.\d+\.\d+-bookworm-slim$/.test(image(stage.from))) problems.push(`FROM ${stage.from} must be an exact node:20.x.y-bookworm-slim tag`);
  });
  if (stages.length < 2) return [...problems, 'expected a multi-stage build'];
  const runs = (stage: Stage): string[] => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  const final = stages.at(-1)!;
  const build = stages.find((stage) => runs(stage).some((run) => /npm run build/.test(run)));
  if (build === undefined || !runs(build).some((run) => /npm ci(?![^&]*--omit=dev)/.test(run))) problems.push('a build stage must `npm ci` with dev dependencies and `npm run build`');
  if (!stages.some((stage) => runs(stage).some((run) => /npm ci\b.*--omit=dev/.test(run) && /--ignore-scripts/.test(run)))) {
    problems.push('production dependencies must come from `npm ci --omit=dev --ignore-scripts`');
  }
  if (runs(final).some((run) => /npm (ci|install|run build)/.test(run))) problems.push('the final stage must not install or build (only copy what runs)');
  const last = (keyword: string): Instruction | undefined => final.instructions.filter((i) => i.keyword === keyword).at(-1);
  const user = last('USER')?.args;
  if (user === undefined || /^(root|0)(:|$)/.test(user)) problems.push('the final stage must run as a non-root USER');
  if (!final.instructions.some((i) => i.keyword === 'ENV' && /\bNODE_ENV=production\b/.test(i.args))) problems.push('the final stage must set NODE_ENV=production');
  if (last('STOPSIGNAL')?.args !== 'SIGTERM') problems.push('STOPSIGNAL SIGTERM is required');
  const entrypoint = execForm(last('ENTRYPOINT')?.args ?? '');
  if (entrypoint === undefined || !/tini$/.test(entrypoint[0] ?? '')) problems.push('ENTRYPOINT must run an init (tini) in exec form, so SIGTERM reaches Node');
  else if (!runs(final).some((run) => /apt-get install[^&]*\btini\b/.test(run))) problems.push('tini must be installed in the final stage');
  problems.push(...checkCommand(last('CMD')?.args, root), ...checkHealthcheck(last('HEALTHCHECK')?.args, root));
  problems.push(...checkOtherTargets(stages.slice(0, -1), root));
  problems.push(...checkCopySources(stages, root, dockerignore));
  if (build !== undefined) problems.push(...checkBuildInputs(build, root));
  return problems;
}

/** Other runnable targets (a stage with a CMD, e.g. the demo): non-root, and the file they run exists. */
function checkOtherTargets(stages: Stage[], root: string): string[] {
  const problems: string[] = [];
  for (const stage of stages) {
    const cmd = stage.instructions.filter((i) => i.keyword === 'CMD').at(-1);
    if (cmd === undefined) continue;
    const user = stage.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args;
    if (user === undefined || /^(root|0)(:|$)/.test(user)) problems.push(`stage ${stage.name} must run as a non-root USER`);
    const command = execForm(cmd.args);
    if (command === undefined) problems.push(`stage ${stage.name}: CMD must be in exec form`);
    for (const file of (command ?? []).filter((arg) => /\.(ts|js)$/.test(arg))) {
      if (!existsSync(join(root, file))) problems.push(`stage ${stage.name}: CMD file ${file} does not exist`);
    }
  }
  return problems;
}

/** `npm run build` is `tsc -b` over the root tsconfig.json: every project it references must be copied in. */
function checkBuildInputs(build: Stage, root: string): string[] {
  const copied = build.instructions.filter((i) => i.keyword === 'COPY' && !/--from=/.test(i.args))
    .flatMap((i) => i.args.split(/\s+/).filter((p) => !p.startsWith('--')).slice(0, -1))
    .map((source) => source.replace(/^\.\/|\/$/g, ''));
  const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as { references?: { path: string }[] };
  return (tsconfig.references ?? [])
    .map((reference) => reference.path.replace(/^\.\/|\/$/g, ''))
    .filter((project) => !copied.includes(project))
    .map((project) => `the build stage must COPY ${project}/ (referenced by tsconfig.json, built by npm run build)`);
}

function checkCommand(args: string | undefined, root: string): string[] {
  const command = execForm(args ?? '');
  const gatewayMain = (JSON.parse(readFileSync(join(root, 'gateway', 'package.json'), 'utf8')) as { main: string }).main;
  const expected = posix.join('gateway', gatewayMain);
  if (command === undefined || command[0] !== 'node' || command[1] !== expected) return [`CMD must be ["node", "${expected}"] (exec form; gateway/package.json main)`];
  return [];
}

function checkHealthcheck(args: string | undefined, root: string): string[] {
  const command = execForm(args?.replace(/^(--\S+\s+)*CMD\s+/, '') ?? '');
  if (command === undefined) return ['HEALTHCHECK CMD [...] (exec form) is required'];
  const problems: string[] = [];
  const script = command.find((arg) => arg.endsWith('.js'));
  if (script === undefined || !existsSync(join(root, script))) problems.push(`HEALTHCHECK script ${script} does not exist`);
  const path = command.find((arg) => arg.startsWith('/'));
  if (path === undefined || !PROBE_PATHS.includes(path)) problems.push(`HEALTHCHECK path ${path} is not one of ${PROBE_PATHS.join(', ')}`);
  return problems;
}

/** A `.dockerignore` line as a matcher of context-relative paths (and of everything under them). */
function ignoreMatcher(pattern: string): RegExp {
  const body = pattern.replace(/^\/|\/$/g, '').split('/').map((part) => {
    if (part === '**') return '(?:.*/)?';
    return `${part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}/`;
  }).join('');
  return new RegExp(`^${body.replace(/\/$/, '')}(?:/.*)?$`);
}

function checkCopySources(stages: Stage[], root: string, dockerignore: string): string[] {
  const ignored = dockerignore.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map(ignoreMatcher);
  const problems: string[] = [];
  for (const instruction of stages.flatMap((s) => s.instructions).filter((i) => i.keyword === 'COPY' && !/--from=/.test(i.args))) {
    const parts = instruction.args.split(/\s+/).filter((p) => !p.startsWith('--'));
    for (const source of parts.slice(0, -1)) {
      const path = source.replace(/\/$/, '');
      if (!existsSync(join(root, path))) problems.push(`COPY source ${source} does not exist`);
      else if (ignored.some((matcher) => matcher.test(path))) problems.push(`COPY source ${source} is excluded by .dockerignore`);
    }
  }
  return problems;
}
